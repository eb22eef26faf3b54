"""The optional C speed-ups of the font factory (topology comparison, glyph encoding).

Each has a numpy twin that gives the same results, used when the extension could not be built (no
C compiler): fontgen installs and runs either way, only slower.
"""

import sys

from setuptools import Extension, setup

# No fused multiply-add: the floats must be the ones numpy and fontTools compute, operation by operation.
FLAGS = [] if sys.platform == "win32" else ["-O2", "-ffp-contract=off"]

setup(ext_modules=[
    Extension(f"fontgen.font.{name}", [f"fontgen/font/{name}.c"], extra_compile_args=FLAGS, optional=True)
    for name in ("_topology", "_encode")
])
