"""`python -m coderemask`: the same as the `coderemask` console script."""

from __future__ import annotations

import sys

from .frontends.cli import main

if __name__ == "__main__":
    sys.exit(main())
