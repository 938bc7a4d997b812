"""coderemask: repair and complete Python functions with masked diffusion code models.

The model writes; the program (parser and tests) says where the code is wrong; the remask
policy masks those spans again and grants more denoising steps.
"""

from __future__ import annotations

__version__ = "0.1.0"
