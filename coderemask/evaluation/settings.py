"""The ablation's four settings, by name: how a base RepairConfig becomes each one.

All four run with the same model, the same candidates per round and the same max NFE budget:

    standard   standard diffusion: one pass that writes the whole region with fixed steps (one
               per slot), no remasking, no program evidence
    remask     remasking only: ReMDM-conf inside the sampler, then rounds that remask the model's
               own low-confidence tokens; no program evidence (no tests, no parse witness)
    scaling    inference-time scaling only: round after round, each resamples the whole region;
               the public tests pick the best candidate and say when to stop (no edit search:
               its edits are chosen by evidence, which this setting does not have); this is
               best-of-N whole-function resampling
    combined   the default agent: the edit search over the lines the witnesses accuse, then the
               combined policy remasks the accused spans and grants steps in proportion

Settings without program evidence start a repair by rewriting the whole region: with no
witness pointing at the bug, nothing else tells them where to write.
This module knows configs only; it does not run models or tests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from coderemask.errors import ConfigError
from coderemask.results import Budget

if TYPE_CHECKING:  # the loop imports torch; naming the settings (eval --help) must not
    from coderemask.repair import RepairConfig


@dataclass(frozen=True)
class EvalSetting:
    """One row of the ablation: its name, what it means, and how it changes the base config.

    uses_tests: whether the loop is given the public tests (the checker) at all.
    """

    name: str
    help: str
    uses_tests: bool
    configure: Callable[[RepairConfig], RepairConfig]

    def config(self, base: RepairConfig) -> RepairConfig:
        return self.configure(base)


def _standard(base: RepairConfig) -> RepairConfig:
    return replace(
        base,
        sampler=replace(base.sampler, remask="none", eta=0.0),
        policy="confidence",
        first_plan="whole",
        budget=replace(base.budget, max_rounds=1),
    )


def _remask_only(base: RepairConfig) -> RepairConfig:
    return replace(base, sampler=replace(base.sampler, remask="conf", eta=1.0), policy="confidence", first_plan="whole")


def _scaling_only(base: RepairConfig) -> RepairConfig:
    return replace(
        base, sampler=replace(base.sampler, remask="none", eta=0.0), policy="whole", first_plan="whole", search=None
    )


def _combined(base: RepairConfig) -> RepairConfig:
    return base


SETTINGS: dict[str, EvalSetting] = {
    s.name: s
    for s in (
        EvalSetting("standard", "one pass, fixed steps, no remasking", False, _standard),
        EvalSetting("remask", "ReMDM-conf and confidence remasking, no program evidence", False, _remask_only),
        EvalSetting(
            "scaling", "more rounds, each resamples the whole function; tests pick and stop", True, _scaling_only
        ),
        EvalSetting("combined", "the default policy: program evidence chooses the spans", True, _combined),
    )
}
"""Setting name -> EvalSetting, in the order the ablation table prints them."""

ABLATION: tuple[str, ...] = tuple(SETTINGS)


def get_setting(name: str) -> EvalSetting:
    """The named setting; ConfigError lists the known names."""
    if name not in SETTINGS:
        raise ConfigError(f"setting {name!r} is unknown; known settings: {', '.join(SETTINGS)}")
    return SETTINGS[name]


def setting_config(name: str, base: RepairConfig, max_nfe: int) -> RepairConfig:
    """``base`` changed by the named setting, with the NFE budget set to ``max_nfe``."""
    config = get_setting(name).config(base)
    return replace(
        config,
        budget=Budget(max_nfe=max_nfe, max_rounds=config.budget.max_rounds, max_seconds=config.budget.max_seconds),
    )
