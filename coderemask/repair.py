"""The repair agent: denoise, ask the witnesses, remask, grant steps, repeat within a budget.

A repair (or a written completion) with tests first *searches*: the accused lines' edits of every
family (``edits/``) are ranked by the model and the suspicion of their line, and each round
tests the next batch of a queue. A candidate that makes more tests pass becomes current, and a
new search starts from it (a second edit) if it broke no test the original passed; its queue
and the queues it came from then take turns, a batch each (newest first), so a misleading
partial fix does not stall the search. When every queue is spent, rounds *resample* spans:
1. the policy turns the current best function's evidence into a RemaskPlan;
2. B candidates are written by one batched denoising run over the planned slots;
3. each new candidate is checked once (syntax here, tests through a ``Checker``);
4. the best candidate (tests passed, then parses, then mean confidence) becomes current, and
   its evidence (syntax, tests, confidence; the detector when the policy weighs it and tests
   fail) feeds the next round.
It stops when the code parses and the tests pass (solved), or when the budget (NFE, rounds,
seconds) is spent or no witness accuses anything (gave up). ``complete`` starts from an empty
body; ``repair`` from the current one.

This module owns loop control and budgets. It does not know files, pytest or the CLI: the
caller gives a ``Problem`` (text, editable region, context) and a ``Checker`` (both defined in
``problem.py``, which needs no torch, and re-exported here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Sequence

import torch

from coderemask.edits.ranking import EditRanker
from coderemask.edits.scope import ModuleScope
from coderemask.edits.search import (
    Candidate,
    EditSearch,
    SearchConfig,
    SearchCounts,
    SearchQueue,
    add_opinion,
    line_suspicion,
    relative_opinion,
)
from coderemask.errors import ConfigError
from coderemask.infill import encode_template
from coderemask.model.base import Denoiser, fit_context
from coderemask.model.detector import detector_of
from coderemask.policy import Policy, PolicyConfig, policy_config
from coderemask.problem import Checker, Problem, Verdict  # defined in problem.py (no torch); re-exported here
from coderemask.results import Attempt, Budget, Failed, GaveUp, RepairResult, Round, SearchSummary, Solved
from coderemask.sampler import DiffusionState, Sampler, SamplerConfig, denoise
from coderemask.signals.confidence import confidence_evidence
from coderemask.signals.detector import DetectorWitness
from coderemask.signals.syntax import enclosing_units, parses, syntax_evidence
from coderemask.source import is_stub_code
from coderemask.types import Evidence, PlannedSpan, RemaskPlan, Span


@dataclass(frozen=True)
class RepairConfig:
    """Every knob of the loop; the defaults are the project's defaults."""

    sampler: SamplerConfig = field(default_factory=lambda: SamplerConfig(unmask="confidence", temperature=0.8))
    policy: str = "combined"
    policy_overrides: dict = field(default_factory=dict)
    budget: Budget = field(default_factory=Budget)
    candidates: int = 4
    seed: int = 0
    complete_slots: int = 48
    context_tokens: int = 384
    suffix_tokens: int = 64
    """File context before / after the function, in tokens, at most; each row sent to the model is
    trimmed further (the farthest context first) to fit the model's ``max_length``."""
    confidence_threshold: float = 0.3
    detector_threshold: float = 0.5
    """The detector witness accuses a token whose P(corrupted) is at least this share of the
    function's most suspect token's (relative: a detector trained on rare edits gives the edited
    token P ~0.02-0.2 on real bugs, so no absolute threshold fits; it speaks only once the tests
    fail, so its favourite token is a guess at a bug that is known to be there)."""
    converged_confidence: float = 0.5
    search: SearchConfig | None = field(default_factory=SearchConfig)
    """The edit search a repair runs before it resamples spans (``edits/search.py``): which
    families, how many accused lines, how many candidates a round tests; None turns it off."""
    search_depth: int = 2
    """Edits stacked at most: a candidate that makes more tests pass starts a new search only
    while fewer than this many edits separate it from the original."""
    first_plan: str = "evidence"
    """``repair``'s first round: "evidence" (the witnesses accuse spans of the current code) or
    "whole" (rewrite the whole region, as a sampler without program evidence must)."""

    def __post_init__(self) -> None:
        if self.first_plan not in FIRST_PLANS:
            raise ConfigError(f"RepairConfig.first_plan={self.first_plan!r}: must be one of {', '.join(FIRST_PLANS)}")
        if self.candidates < 1:
            raise ConfigError(f"RepairConfig.candidates={self.candidates}: must be >= 1")
        if self.search_depth < 1:
            raise ConfigError(f"RepairConfig.search_depth={self.search_depth}: must be >= 1")
        if self.complete_slots < 1:
            raise ConfigError(f"RepairConfig.complete_slots={self.complete_slots}: must be >= 1")

    def make_policy(self, model: Denoiser) -> Policy:
        cfg: PolicyConfig = policy_config(self.policy, **self.policy_overrides)
        return Policy(cfg, snap=enclosing_units, count_tokens=lambda s: len(model.encode(s)))


OnRound = Callable[[Round], None]
FIRST_PLANS = ("evidence", "whole")


@dataclass
class _Scored:
    code: str
    parses: bool
    verdict: Verdict | None
    confidence: float
    offsets: tuple[tuple[int, int], ...] = ()
    token_confidence: tuple[float, ...] = ()

    syntax_problems: int = 0

    def rank(self) -> tuple[float, int, int, float]:
        """Tests passed (share), then parses, then fewer syntax problems, then mean confidence."""
        tests = 0.0 if self.verdict is None or not self.verdict.total else self.verdict.passed / self.verdict.total
        return (tests, int(self.parses), -self.syntax_problems, self.confidence)

    def solved(self, has_tests: bool) -> bool:
        return self.parses and (self.verdict.ok if has_tests and self.verdict is not None else not has_tests)


def complete(
    problem: Problem,
    model: Denoiser,
    checker: Checker | None = None,
    config: RepairConfig | None = None,
    *,
    on_round: OnRound | None = None,
) -> RepairResult:
    """Write the body of ``problem`` (its region is replaced by masked slots)."""
    config = config or RepairConfig()
    return _Loop(problem, model, checker, config, on_round).run(start_empty=True)


def repair(
    problem: Problem,
    model: Denoiser,
    checker: Checker | None = None,
    config: RepairConfig | None = None,
    *,
    on_round: OnRound | None = None,
) -> RepairResult:
    """Fix the body of ``problem`` starting from its current text."""
    config = config or RepairConfig()
    return _Loop(problem, model, checker, config, on_round).run(start_empty=False)


class _Loop:
    """State of one run: budget counters, the cache of checked candidates, the round trace."""

    def __init__(
        self, problem: Problem, model: Denoiser, checker: Checker | None, config: RepairConfig, on_round: OnRound | None
    ) -> None:
        self.problem, self.model, self.checker, self.config = problem, model, checker, config
        self.on_round = on_round
        self.policy = config.make_policy(model)
        self.detector = (
            DetectorWitness(lambda: detector_of(model), threshold=config.detector_threshold, relative=True)
            if self.policy.config.weights.get("detector", 0.0) > 0
            else None
        )  # lazy: loads on first use
        self.sampler = Sampler.for_model(config.sampler, model)
        self.cache: dict[str, _Scored] = {}
        self.rounds: list[Round] = []
        self.plans: list[RemaskPlan] = []
        self.nfe = 0
        self.t0 = time.monotonic()
        self.generator = torch.Generator(device=model.device).manual_seed(config.seed)
        prefix_ids = model.encode(problem.prefix).ids if problem.prefix else ()
        self.prefix_ids = tuple(prefix_ids[max(len(prefix_ids) - config.context_tokens, 0) :])
        self.suffix_ids = tuple(model.encode(problem.suffix).ids[: config.suffix_tokens]) if problem.suffix else ()
        self.search = (
            EditSearch(
                EditRanker(model, self.prefix_ids, self.suffix_ids, seed=config.seed),
                ModuleScope.of(problem.prefix + problem.code + problem.suffix),
                config.search,
            )
            if config.search is not None
            else None
        )
        self.queues: dict[str, SearchQueue] = {}  # per searched code: its candidates not yet tested
        self.bases: list[str] = []  # searched codes, oldest first
        self.depth: dict[str, int] = {problem.code: 0}  # edits between a code and the original
        # the run's search counts as they grow; _search_summary() freezes them
        self.tally: dict[str, Any] = {f.name: f.default for f in fields(SearchSummary) if f.name != "skipped"}
        self.turn = 0  # search rounds so far: open queues take turns
        self.step_seconds = 0.5  # seconds per denoising step: a cautious guess until a round measures it
        self.original_seconds: float | None = None  # how long checking the original took (a repair)

    # ---------------------------------------------------------------- budget

    def _elapsed(self) -> float:
        return time.monotonic() - self.t0

    def _out_of_budget(self) -> str | None:
        b = self.config.budget
        if len(self.rounds) >= b.max_rounds:
            return f"max rounds ({b.max_rounds}) reached"
        if self.nfe >= b.max_nfe:
            return f"max NFE ({b.max_nfe}) reached"
        if self._elapsed() >= b.max_seconds:
            return f"time budget ({b.max_seconds:g} s) reached"
        if self._candidates_checked() >= b.max_candidates:
            return f"max candidates ({b.max_candidates}) checked"
        return None

    def _candidates_left(self) -> int:
        return self.config.budget.max_candidates - self._candidates_checked()

    def _candidates_checked(self) -> int:
        """Candidates the checker judged so far (every round's attempts)."""
        return sum(len(r.attempts) for r in self.rounds)

    # ---------------------------------------------------------------- the loop

    def run(self, *, start_empty: bool) -> RepairResult:
        p = self.problem
        has_tests = self.checker is not None
        try:
            if start_empty:
                current = _Scored(p.code, parses=False, verdict=None, confidence=0.0)
                plan: RemaskPlan | None = self._write_body_plan("complete: write the whole body")
            else:
                t0 = time.monotonic()
                current = self._score([p.code])[0]
                self.original_seconds = time.monotonic() - t0
                current.confidence = 1.0  # the user's code: a candidate must beat it, not tie it
                if current.solved(has_tests) and self.config.first_plan == "evidence":
                    return self._result(
                        current,
                        True,
                        "nothing to fix: " + ("the tests pass" if has_tests else "it parses and no test is given"),
                    )
                plan = (
                    self._plan(current)
                    if self.config.first_plan == "evidence"
                    else self._rewrite_plan(current.code, "first round: rewrite the whole region")
                )
            previous_conf = None
            while True:
                stop = self._out_of_budget()
                if stop:
                    return self._result(current, False, stop)
                if plan is None:
                    return self._result(current, False, "no witness accuses any span")
                if self._search_due(current, start_empty):
                    adopted = self._search_round(current)
                    if adopted is not None:
                        current = adopted
                        if current.solved(has_tests):
                            return self._result(current, True, "the tests pass")
                        plan = self._plan(current)
                    continue
                steps = min(plan.steps, self.config.budget.max_nfe - self.nfe, self._steps_that_fit())
                t0 = time.monotonic()
                candidates, token_info, nfe = self._denoise(current.code, plan, steps)
                denoise_seconds = time.monotonic() - t0
                self.step_seconds = denoise_seconds / max(nfe, 1)
                self.nfe += nfe
                scored = self._score(candidates, token_info)
                best = max(scored, key=_Scored.rank)
                rewritten = start_empty or self.config.first_plan == "whole"  # round 1 is the sample itself
                improved = best.rank() >= current.rank() or rewritten and len(self.rounds) == 0
                if improved:
                    current = best
                self.plans.append(plan)
                self._record(plan, steps, nfe, scored, best, improved, denoise_seconds=denoise_seconds)
                still_stub = start_empty and is_stub_code(current.code)  # complete: no body written yet
                if current.solved(has_tests) and not still_stub:
                    if has_tests:
                        return self._result(current, True, "the tests pass")
                    if self._converged(current, previous_conf):
                        return self._result(current, True, "no tests: it parses and confidence converged")
                previous_conf = current.confidence
                plan = self._plan(current)
                if still_stub:  # write the body again
                    plan = self._write_body_plan("complete: the body is still a stub; write it again", current.code)
                if plan is None and not has_tests and current.parses:
                    return self._result(current, True, "no tests: it parses and no witness accuses any span")
        except KeyboardInterrupt:
            kept = max(self.cache.values(), key=_Scored.rank, default=None)
            return Failed(
                reason="interrupted",
                code=kept.code if kept else None,
                rounds=tuple(self.rounds),
                nfe=self.nfe,
                seconds=self._elapsed(),
                search=self._search_summary(),
            )

    def _search_due(self, current: _Scored, start_empty: bool) -> bool:
        """The search runs for a repair (or a written completion) with tests to judge its
        candidates, while the current code or a base it came from has untested candidates."""
        if self.search is None or self.checker is None or start_empty and is_stub_code(current.code):
            return False
        if self._new_base(current):
            return True
        return any(self.queues[b] for b in self.bases)

    def _new_base(self, current: _Scored) -> bool:
        """Whether ``current`` starts a search of its own: not searched yet, fewer than
        ``search_depth`` edits from the original, and (for a later edit) every test the original
        passed still passes: a partial fix that breaks another test is a wrong path, not a base."""
        if current.code in self.queues or self.depth.get(current.code, 0) >= self.config.search_depth:
            return False
        original = self.cache.get(self.problem.code)
        if current.code == self.problem.code or original is None or original.verdict is None or current.verdict is None:
            return True
        before, now = original.verdict.passed_tests, current.verdict.passed_tests
        return not (before or now) or before <= now

    def _search_round(self, current: _Scored) -> _Scored | None:
        """Test the next batch of the open searches' turn (round robin, newest first); the best candidate if
        it beats ``current`` (more tests pass, or it parses where ``current`` does not), else None.
        The first round for a code runs its search (generate, check, rank)."""
        assert self.search is not None
        code = current.code
        rank_nfe, rank_seconds = 0, 0.0
        if self._new_base(current):
            evidence = list(syntax_evidence(code)) + list(current.verdict.evidence if current.verdict else ())
            lines = line_suspicion(code, evidence, top=self.search.config.lines) or self._all_lines(code)
            if self.detector is not None:  # it orders the accused lines (the policy weighs it)
                opinion = relative_opinion(self.detector.lines(code, self.problem_region(code)))
                lines = add_opinion(lines, opinion, self.policy.config.weights.get("detector", 0.0))
            queue = self.search.queue(code, lines)
            self.queues[code] = queue
            self.bases.append(code)
            self.turn = 0  # the newest queue goes first
            self.tally["searches"] += 1
            self.tally["generated"] += queue.counts.generated
        open_bases = [b for b in reversed(self.bases) if self.queues[b]]
        if not open_bases:
            return None
        base = open_bases[self.turn % len(open_bases)]  # round robin, newest first
        self.turn += 1
        left = self.config.budget.max_seconds - self._elapsed()
        batch, added = self.queues[base].next_batch(self._batch_that_fits(), seconds_left=left)
        more_nfe, more_seconds = self._count_ranking(added)
        rank_nfe, rank_seconds = rank_nfe + more_nfe, rank_seconds + more_seconds
        if not batch:
            return None
        for c in batch:
            self.depth.setdefault(c.code, self.depth.get(base, 0) + 1)
        t0 = time.monotonic()
        scored = self._score([c.code for c in batch])
        self.tally["test_seconds"] += time.monotonic() - t0
        self.tally["tested"] += len(batch)
        best = max(scored, key=_Scored.rank)
        improved = best.rank()[:3] > current.rank()[:3]
        winner = batch[scored.index(best)]
        if improved and best.solved(True):
            self.tally["winning_rank"] = winner.rank
            self.tally["winning_edit"] = winner.describe()
        edited = sorted({c.edit.line for c in batch})
        plan = RemaskPlan(
            spans=(),
            steps=rank_nfe,
            whole=False,
            reason=f"search: candidates {batch[0].rank}-{batch[-1].rank} (edit "
            f"{self.depth.get(base, 0) + 1}; lines {', '.join(map(str, edited))})",
        )
        self._record(
            plan,
            rank_nfe,
            rank_nfe,
            scored,
            best,
            improved,
            rank_nfe=rank_nfe,
            rank_seconds=rank_seconds,
            candidates=batch,
        )
        return best if improved else None

    def _steps_that_fit(self) -> int:
        """Denoising steps that fit in the seconds left (at the last round's seconds per step,
        half the time left kept for checking the candidates)."""
        left = self.config.budget.max_seconds - self._elapsed()
        return max(1, int(left / 2 / max(self.step_seconds, 1e-4)))

    def _batch_that_fits(self) -> int:
        """The search's batch, cut to the candidates whose tests fit in the seconds left (at the
        seconds per candidate seen so far; before the first batch, at the seconds the original's
        check took: an original that hangs makes a small first batch), so the time budget is kept
        to about one candidate."""
        assert self.search is not None
        batch = self.search.config.batch
        if self.tally["tested"]:
            per_candidate = self.tally["test_seconds"] / self.tally["tested"]
        elif self.original_seconds is not None:
            per_candidate = self.original_seconds
        else:
            return max(1, min(batch, self._candidates_left()))
        left = self.config.budget.max_seconds - self._elapsed()
        return max(1, min(batch, int(left / max(per_candidate, 1e-3)), self._candidates_left()))

    def _search_summary(self) -> SearchSummary:
        return SearchSummary(**self.tally, skipped=sum(q.skipped for q in self.queues.values()))

    def _count_ranking(self, counts: SearchCounts) -> tuple[int, float]:
        """Add a search's ranking cost to the run's totals; its (NFE, seconds)."""
        self.tally["ranked"] += counts.ranked
        self.tally["rank_seconds"] += counts.seconds
        self.nfe += counts.nfe
        return counts.nfe, counts.seconds

    def _all_lines(self, code: str) -> dict[int, float]:
        """Every line of the editable region, equally suspected (no witness pointed anywhere)."""
        region = self.problem_region(code)
        first = code.count("\n", 0, region.start) + 1
        last = code.count("\n", 0, max(region.start, region.end - 1)) + 1
        return {line: 0.1 for line in range(first, last + 1)}

    def _write_body_plan(self, reason: str, code: str | None = None) -> RemaskPlan:
        """Mask the whole editable region of ``code`` (default: the problem's) with
        ``complete_slots`` slots: what ``complete`` starts with."""
        region = self.problem_region(code) if code is not None else self.problem.region
        return RemaskPlan(
            spans=(PlannedSpan(region, self.config.complete_slots, 1.0),),
            steps=self.config.complete_slots,
            reason=reason,
            whole=True,
        )

    def _converged(self, current: _Scored, previous: float | None) -> bool:
        """Without tests: confidence settled (change < 0.02) at a level the model stands by."""
        return (
            previous is not None
            and abs(current.confidence - previous) < 0.02
            and current.confidence >= self.config.converged_confidence
        )

    def _plan(self, current: _Scored) -> RemaskPlan | None:
        evidence: list[Evidence] = list(syntax_evidence(current.code))
        if current.verdict is not None:
            evidence += current.verdict.evidence
        if current.offsets:
            evidence += confidence_evidence(
                current.offsets,
                current.token_confidence,
                region=self.problem_region(current.code),
                threshold=self.config.confidence_threshold,
            )
        region = self.problem_region(current.code)
        if self.detector is not None and current.verdict is not None and not current.verdict.ok:
            evidence += self.detector(current.code, region)  # a bug is known to be there: where does it look?
        plan = self.policy.plan(current.code, region, evidence, self.plans)
        if plan is None and self.checker is not None and not current.solved(True):
            plan = self._rewrite_plan(current.code, "tests fail without localized evidence: the whole body")
        return plan

    def _rewrite_plan(self, code: str, reason: str) -> RemaskPlan:
        """Resample the whole region of ``code``: as many slots as its tokens, plus room to grow."""
        region = self.problem_region(code)
        slots = max(len(self.model.encode(code[region.start : region.end])), 1) + self.policy.config.grow_slots
        return RemaskPlan(spans=(PlannedSpan(region, slots, 0.0),), steps=slots, reason=reason, whole=True)

    def problem_region(self, code: str) -> Span:
        """The editable region of a candidate: the body starts where the original's did."""
        p = self.problem
        tail = len(p.code) - p.region.end  # text after the region (normally empty)
        return Span(p.region.start, max(p.region.start + 1, len(code) - tail))

    # ---------------------------------------------------------------- denoising

    def _denoise(self, code: str, plan: RemaskPlan, steps: int):
        """Candidates' texts and token info after denoising ``plan``'s slots of ``code`` (with the
        file context that fits the model's ``max_length`` beside it)."""
        template: list[str | int] = []
        pos = 0
        for s in sorted(plan.spans, key=lambda s: s.span.start):
            template += [code[pos : s.span.start], s.slots]
            pos = s.span.end
        template.append(code[pos:])
        body_ids, body_editable, _ = encode_template(self.model, template)
        prefix, suffix = fit_context(self.prefix_ids, self.suffix_ids, len(body_ids), self.model.max_length)
        ids = [*prefix, *body_ids, *suffix]
        editable = [False] * len(prefix) + body_editable + [False] * len(suffix)
        n_prefix = len(prefix)
        state = DiffusionState.from_ids(torch.tensor(ids), torch.tensor(editable), self.model.mask_token_id)
        state = state.repeat(self.config.candidates)
        result = denoise(self.model, self.sampler, state, steps=max(1, steps), generator=self.generator)
        end = len(ids) - len(suffix)
        texts, infos = [], []
        for row, conf in zip(result.state.ids.tolist(), result.state.confidence.tolist()):
            body_ids = row[n_prefix:end]
            body_conf = conf[n_prefix:end]
            texts.append(self.model.decode(body_ids))
            infos.append(self._token_info(body_ids, body_conf))
        return texts, infos, result.nfe

    def _token_info(self, ids: list[int], conf: list[float]) -> tuple[tuple[tuple[int, int], ...], tuple[float, ...]]:
        """Character ranges (in the decoded text) and confidences of the kept tokens."""
        offsets, confs = [], []
        pos = 0
        dropped = {self.model.mask_token_id, self.model.pad_token_id, self.model.null_token_id}
        for t, c in zip(ids, conf):
            if t in dropped:
                continue
            piece = len(self.model.decode([t]))
            offsets.append((pos, pos + piece))
            confs.append(c)
            pos += piece
        return tuple(offsets), tuple(confs)

    # ---------------------------------------------------------------- checking

    def _score(self, codes: Sequence[str], token_info: Sequence | None = None) -> list[_Scored]:
        """Score each code once (the cache remembers every code already checked)."""
        fresh = [c for c in dict.fromkeys(codes) if c not in self.cache]
        parsed = {c: parses(c) for c in fresh}
        verdicts: dict[str, Verdict] = {}
        if self.checker is not None and fresh:
            budget_left = self.config.budget.max_seconds - self._elapsed()
            runnable = [c for c in fresh if parsed[c]]
            if runnable and budget_left > 0:
                verdicts = dict(zip(runnable, self.checker.check(runnable)))
        infos = dict(zip(codes, token_info)) if token_info is not None else {}
        for c in fresh:
            offsets, confs = infos.get(c, ((), ()))
            mean_conf = sum(confs) / len(confs) if confs else 0.0
            verdict = verdicts.get(c)
            if verdict is None and self.checker is not None:
                verdict = Verdict(0, 1, summary="not run: does not parse" if not parsed[c] else "not run: out of time")
            problems = 0 if parsed[c] else len(syntax_evidence(c))
            self.cache[c] = _Scored(c, parsed[c], verdict, mean_conf, offsets, confs, problems)
        return [self.cache[c] for c in codes]

    # ---------------------------------------------------------------- trace and result

    def _record(
        self,
        plan: RemaskPlan,
        steps: int,
        nfe: int,
        scored: list[_Scored],
        best: _Scored,
        improved: bool,
        *,
        rank_nfe: int = 0,
        rank_seconds: float = 0.0,
        denoise_seconds: float = 0.0,
        candidates: Sequence[Candidate] = (),
    ) -> None:
        """Append a Round (``candidates``: the search candidates ``scored`` came from, if any)."""
        notes: list[tuple[str, int | None, float | None]] = [(c.describe(), c.rank, c.priority) for c in candidates]
        notes = notes or [("", None, None)] * len(scored)
        attempts = tuple(
            Attempt(
                code=s.code,
                parses=s.parses,
                passed=s.verdict.passed if s.verdict else None,
                total=s.verdict.total if s.verdict else None,
                confidence=s.confidence,
                edit=note,
                rank=rank,
                score=score,
            )
            for s, (note, rank, score) in zip(scored, notes)
        )
        rnd = Round(
            index=len(self.rounds),
            plan=plan,
            steps=steps,
            nfe=nfe,
            seconds=self._elapsed(),
            attempts=attempts,
            best_index=scored.index(best),
            adopted=improved,
            rank_nfe=rank_nfe,
            rank_seconds=rank_seconds,
            denoise_seconds=denoise_seconds,
        )
        self.rounds.append(rnd)
        if self.on_round is not None:
            self.on_round(rnd)

    def _result(self, current: _Scored, solved: bool, why: str) -> RepairResult:
        kind = Solved if solved else GaveUp
        return kind(
            code=current.code,
            reason=why,
            rounds=tuple(self.rounds),
            nfe=self.nfe,
            seconds=self._elapsed(),
            passed=current.verdict.passed if current.verdict else None,
            total=current.verdict.total if current.verdict else None,
            parses=current.parses,
            search=self._search_summary(),
        )


def with_budget(
    config: RepairConfig, *, max_nfe: int | None = None, max_rounds: int | None = None, max_seconds: float | None = None
) -> RepairConfig:
    """A copy of ``config`` with the budget fields given (not None) changed."""
    old = config.budget
    budget = Budget(
        max_nfe=old.max_nfe if max_nfe is None else max_nfe,
        max_rounds=old.max_rounds if max_rounds is None else max_rounds,
        max_seconds=old.max_seconds if max_seconds is None else max_seconds,
    )
    return replace(config, budget=budget)
