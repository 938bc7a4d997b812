"""The repair search: edit families (what to try), their ranking by the model, and the stream.

``families`` yields candidate edits of the accused lines of a function (torch-free);
``ranking`` scores concrete edits and fills masked holes with a Denoiser; ``search`` turns a
function and its evidence into a ranked, deduplicated, statically checked queue of candidates.
The loop in ``repair.py`` tests that queue in batches through a ``Checker``.
"""
