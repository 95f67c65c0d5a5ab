"""Numba kernels for analog memory devices. Imports numpy and numba only.

Each module has private ``@njit`` kernels and public wrappers that validate
their arguments and raise `ValueError` naming the argument and what is allowed.

"Physics reference section N" in the docstrings means section N of docs/physics.md, which
holds the equations, constants and sources the kernels implement.
"""
