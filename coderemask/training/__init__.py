"""Training the embedded model: corpus, tokenizer, masking objective and the resumable trainer.

Nothing here is imported at inference time (``coderemask fix`` and friends never load it);
``coderemask train`` and ``coderemask model-eval`` do.
"""
