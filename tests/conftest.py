"""Shared test settings: tests run on one torch thread (tiny tensors, busy 2-core machines)."""

from __future__ import annotations

import pytest
import torch

# Thread hand-offs cost more than the work on the tiny tensors of unit tests (about 3x slower
# on a busy 2-core machine); subprocesses started by tests pick their own settings.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _backups_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--write` keeps its backups in a per-test state folder, never the user's (subprocesses inherit it)."""
    monkeypatch.setenv("CODEREMASK_STATE_DIR", str(tmp_path_factory.mktemp("state")))
