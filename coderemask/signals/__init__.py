"""Witnesses of where code is wrong: confidence, syntax, tests (in a sandbox), localization.

Import the submodules directly (``coderemask.signals.sandbox``, ``coderemask.signals.tests``);
this package imports none of them, and nothing here imports torch. Failures of the code under
test are values, never exceptions.
"""

from __future__ import annotations
