"""`python -m coderemask` and the `coderemask` console script (``entry``).

The CLI is imported inside the handler, so a Ctrl-C even during start-up is one line and exit
130, never a traceback.
"""

from __future__ import annotations

import signal
import sys
from typing import NoReturn


def entry() -> NoReturn:
    """Run ``frontends.cli.main`` and exit with its code. Once main has returned (the work is
    done and reported), Ctrl-C is ignored while the interpreter shuts down, which can take a
    second or two (sandboxes and model threads wind down)."""
    code: int | None = None
    try:
        from coderemask.frontends.cli import main

        code = main()
    except KeyboardInterrupt:  # during the imports, or between main's own handler and its return
        pass
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:  # landed while ignoring was being set up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if code is None:
        from coderemask.frontends.common import interrupted

        code = interrupted("coderemask")
    sys.exit(code)


if __name__ == "__main__":
    entry()
