"""Byte-level BPE tokenizer for Python code, trained with the ``tokenizers`` library.

Any text round-trips exactly (indentation, tabs, trailing spaces, non-ASCII), and the fast
tokenizer reports character offsets. Special tokens: [PAD] [MASK] [NULL] [CLS] [SEP] [UNK];
[NULL] fills an empty slot so a masked span can shrink.

This module knows text and token ids; it does not know models or training.
"""

from __future__ import annotations

from typing import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ["[PAD]", "[MASK]", "[NULL]", "[CLS]", "[SEP]", "[UNK]"]
NULL_TOKEN = "[NULL]"


def train_tokenizer(texts: Iterable[str], vocab_size: int = 8192) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on ``texts`` and wrap it for transformers.

    The pre-tokenizer keeps runs of spaces together so indentation costs few tokens.
    """
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return wrap(tok)


def wrap(tok: Tokenizer) -> PreTrainedTokenizerFast:
    """A transformers tokenizer around a trained ``tokenizers.Tokenizer``."""
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        mask_token="[MASK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        unk_token="[UNK]",
        additional_special_tokens=[NULL_TOKEN],
        clean_up_tokenization_spaces=False,
        model_max_length=1_000_000_000,
    )
