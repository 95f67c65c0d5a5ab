"""Numba kernels for analog memory devices. Imports numpy and numba only.

Each module has private ``@njit`` kernels and public wrappers that validate
their arguments and raise `ValueError` naming the argument and what is allowed.
"""
