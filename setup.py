"""The optional C extension rmt_dsm.compiled._kernels (everything else is in pyproject.toml).

The generated C kernels of the shipped numeric code (rmt_dsm/compiled/cgen.py, kernels.py) are
built when a C compiler is found; the build failing is not an error (``optional``): the package
then runs its Python functions alone, with the same results.
"""
import os

from setuptools import Extension, setup

# the Python function's operations exactly: no fused multiply-add, pow and sqrt from libm
FLAGS = ["-O2", "-ffp-contract=off", "-fno-builtin"] if os.name == "posix" else []

setup(ext_modules=[Extension("rmt_dsm.compiled._kernels", sources=["rmt_dsm/compiled/_kernels.c"],
                             depends=["rmt_dsm/compiled/_kernels_body.h", "rmt_dsm/compiled/kernels.h", "rmt_dsm/compiled/one_point.h"], extra_compile_args=FLAGS,
                             libraries=["m"] if os.name == "posix" else [], optional=True)])
