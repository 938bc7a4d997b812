"""Finding a function's code object, shared by the parent and the forked session in the sandbox.

Standard library only: the session copies this file into the sandbox (as ``_coderemask_swap``).
"""

from __future__ import annotations

import types


def find_code(code: types.CodeType, name: str, first_line: int) -> types.CodeType | None:
    """The code object of the function ``name`` whose code starts at ``first_line``, anywhere
    inside ``code`` (a module's, a class body's or a function's)."""
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == name and const.co_firstlineno == first_line:
                return const
            found = find_code(const, name, first_line)
            if found is not None:
                return found
    return None
