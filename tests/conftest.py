"""Shared test settings: tests run on one torch thread (tiny tensors, busy 2-core machines)."""

from __future__ import annotations

import torch

# Thread hand-offs cost more than the work on the tiny tensors of unit tests (about 3x slower
# on a busy 2-core machine); subprocesses started by tests pick their own settings.
torch.set_num_threads(1)
