"""Build hook for the compiled part of Tilly: the pricing engine's Cython modules.

Everything else is declared in pyproject.toml. The modules listed here are plain Python
files written in Cython's pure-Python mode: Cython compiles them to extension modules,
and `shared.pricing.pure` runs the very same files interpreted.
"""
from Cython.Build import cythonize
from setuptools import setup

# Keep in step with shared.pricing.pure.INTERPRETED_MODULES (tests check it).
COMPILED_SOURCES = ["shared/pricing/request.py", "shared/pricing/kernel.py"]

setup(
    ext_modules=cythonize(
        COMPILED_SOURCES,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
)
