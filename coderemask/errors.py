"""Errors that carry a message meant for the user (front-ends print them and exit 2).

This module knows nothing about models, samplers or the CLI.
"""

from __future__ import annotations


class CoderemaskError(Exception):
    """Base class: bad input or an environment problem the user can fix."""


class ModelLoadError(CoderemaskError):
    """A model spec (folder, hub id or preset) could not be loaded; the message says why."""


class ConfigError(CoderemaskError, ValueError):
    """A configuration value is out of range or names an unknown strategy."""
