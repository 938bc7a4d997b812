"""`python -m coderemask`: the same as the `coderemask` console script."""

from __future__ import annotations


from .frontends.cli import entry

if __name__ == "__main__":
    entry()
