"""Step budgets: schedule counts, blocks, and confidence-threshold decoding."""

from __future__ import annotations

import math

import pytest
import torch
from fakes import FakeDenoiser, make_state, ramp, target_ids

from coderemask.errors import ConfigError
from coderemask.sampler import SCHEDULES, Blocks, Sampler, SamplerConfig, denoise

L = 32


def run(config: SamplerConfig, spans, *, confidence=None, gain=0.0, batch=1, steps=None):
    """Decode with the fake; returns (result, per-step committed [steps, B], commit step [B, L])."""
    model = FakeDenoiser(target_ids(L), ramp(L) if confidence is None else confidence, gain=gain)
    state = make_state(target_ids(L, seed=1), spans, batch=batch)
    sampler = Sampler.for_model(config, model)
    counts: list[list[int]] = []
    when = torch.full(state.ids.shape, -1)

    def on_step(i, new, out):
        counts.append(out.committed.sum(dim=1).tolist())
        when[out.committed] = i

    result = denoise(model, sampler, state, steps=steps, on_step=on_step)
    return result, counts, when


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_alpha_runs_from_all_masked_to_all_revealed(name):
    schedule = SCHEDULES.get(name, where="test")()
    alphas = [schedule.alpha(1 - j / 50) for j in range(51)]
    assert alphas[0] == pytest.approx(0.0, abs=1e-12)
    assert alphas[-1] == pytest.approx(1.0, abs=1e-12)
    assert all(a <= b for a, b in zip(alphas, alphas[1:]))


@pytest.mark.parametrize(
    "name, total, steps, expected",
    [
        ("linear", 10, 4, [3, 2, 3, 2]),
        ("linear", 12, 4, [3, 3, 3, 3]),
        ("linear", 3, 5, [1, 1, 0, 1, 0]),
        ("linear", 7, 1, [7]),
        ("cosine", 10, 4, None),
        ("cosine", 40, 8, None),
        ("cosine", 5, 9, None),
    ],
)
def test_counts_sum_to_the_masked_count(name, total, steps, expected):
    schedule = SCHEDULES.get(name, where="test")()
    counts = schedule.counts(total, steps)
    assert len(counts) == steps and sum(counts) == total and min(counts) >= 0
    if expected is None:  # ceil(M * alpha(s_j)) differences
        done = [math.ceil(total * schedule.alpha(1 - j / steps) - 1e-9) for j in range(steps + 1)]
        expected = [b - a for a, b in zip(done, done[1:])]
    assert counts == expected


def test_cosine_reveals_few_first_and_many_last():
    counts = SCHEDULES.get("cosine", where="test")().counts(64, 8)
    assert counts[0] < counts[-1]


@pytest.mark.parametrize("schedule", SCHEDULES.names())
@pytest.mark.parametrize("spans, steps", [([(4, 20)], 5), ([(2, 9), (15, 30)], 7), ([(5, 8)], 6)])
def test_each_step_commits_the_scheduled_count(schedule, spans, steps):
    result, counts, _ = run(SamplerConfig(schedule=schedule, steps=steps), spans, batch=2)
    masked = sum(end - start for start, end in spans)
    expected = SCHEDULES.get(schedule, where="test")().counts(masked, steps)
    expected = expected[: result.steps]  # a run without remasking stops once all is revealed
    assert [c[0] for c in counts] == expected
    assert all(c[0] == c[1] for c in counts)
    assert not result.state.masked.any()


@pytest.mark.parametrize(
    "masked, block_length, steps, sizes, block_steps",
    [
        (12, 4, 6, [4, 4, 4], (2, 2, 2)),
        (10, 4, 7, [4, 4, 2], (3, 2, 2)),
        (10, None, 3, [10], (3,)),
        (5, 8, 2, [5], (2,)),
    ],
)
def test_blocks_split_the_masked_positions_left_to_right(masked, block_length, steps, sizes, block_steps):
    run_mask = torch.zeros(1, 20, dtype=torch.bool)
    run_mask[0, 3 : 3 + masked] = True
    blocks = Blocks.split(run_mask, block_length, steps)
    assert blocks.sizes[0].tolist() == sizes
    assert blocks.steps == block_steps
    index = blocks.index[0, 3 : 3 + masked].tolist()
    assert index == sorted(index) and (blocks.index[0, :3] == -1).all()
    assert [blocks.locate(i)[0] for i in range(steps)] == sorted(b for b, n in enumerate(block_steps) for _ in range(n))


@pytest.mark.parametrize("spans", [[(2, 14)], [(1, 5), (9, 13), (20, 24)]])
def test_block_decoding_finishes_each_block_before_the_next(spans):
    result, counts, when = run(SamplerConfig(steps=6, block_length=4), spans)
    positions = [p for start, end in spans for p in range(start, end)]
    steps_of = [int(when[0, p]) for p in positions]
    blocks = [steps_of[i : i + 4] for i in range(0, len(steps_of), 4)]
    for earlier, later in zip(blocks, blocks[1:]):
        assert max(earlier) < min(later)
    assert [sum(c) for c in counts] == [2] * 6
    assert not result.state.masked.any()


def test_block_decoding_with_too_few_steps_is_a_config_error():
    with pytest.raises(ConfigError, match=r"SamplerConfig.steps=2: .*3 blocks of block_length=4"):
        run(SamplerConfig(steps=2, block_length=4), [(2, 14)])


@pytest.mark.parametrize("block_length", [None, 4])
@pytest.mark.parametrize("confidence", [0.2, 0.5, 0.8])
def test_threshold_decoding_never_stalls(block_length, confidence):
    config = SamplerConfig(steps=16, threshold=0.7, block_length=block_length)
    result, counts, _ = run(config, [(2, 18)], confidence=[confidence] * L, batch=2)
    assert all(min(c) >= 1 for c in counts)
    assert not result.state.masked.any() and result.steps <= 16


@pytest.mark.parametrize(
    "block_length, easy_steps",
    [(None, 1), (4, 4)],  # everything above threshold: one step, or one step per block
)
def test_threshold_decoding_takes_fewer_steps_when_the_model_is_sure(block_length, easy_steps):
    config = SamplerConfig(steps=16, threshold=0.9, block_length=block_length)
    easy, _, _ = run(config, [(2, 18)], confidence=[0.99] * L)
    hard, _, _ = run(config, [(2, 18)], confidence=[0.5] * L)
    assert easy.steps == easy.nfe == easy_steps
    assert hard.steps == 16
    assert not easy.state.masked.any() and not hard.state.masked.any()


def test_threshold_decoding_adapts_as_context_fills_in():
    config = SamplerConfig(steps=16, threshold=0.8)
    result, counts, _ = run(config, [(0, 16)], confidence=[0.5] * L, gain=0.9)
    assert result.steps < 16 and counts[0][0] == 1 and counts[-1][0] > 1


def test_threshold_decoding_keeps_the_schedule_as_a_floor():
    config = SamplerConfig(steps=4, threshold=0.95)
    _, counts, _ = run(config, [(0, 12)], confidence=[0.5] * L)
    assert [c[0] for c in counts] == [3, 3, 3, 3]
