"""w <- beta w - a @ b: w *= beta, then one matrix product, the BLAS's gemm C <- alpha A B + beta C with alpha = -1 and
beta = 1.

SGD's step for a Dense kernel is W <- W - x^T (lr dL/dz) (beta = 1), or with momentum mu M <- mu M - x^T (lr dL/dz)
and then W <- W + M (beta = mu). Written as a product and then a subtraction, the
subtraction reads W and the product a second time after the BLAS's threads wrote the product, each part in its
own core's cache; inside gemm each thread adds its block of the product to its block of W while both are in its
cache. Measured on 2 cores (float32, 2 BLAS threads), the product and the update together took as long as the
product alone: for M's first kernel (784 x 256, batch 128) 150 us against 190 us as two steps, for L's 1024 x 1024
kernel (batch 256) 1.51 ms against 1.79 ms; with momentum (M *= mu, the product and its subtraction, W + M) 230 us
against 277 us, and 2.00 ms against 2.47 ms. gemm's own beta = mu was slower (260 us, 2.03 ms) and rounds mu M - x^T G
once where NumPy and Keras round twice (the last bit of about one entry in ten differed), so mu is applied first.

NumPy's matmul has no alpha or beta, so gemm is called through ctypes on the BLAS NumPy itself loaded (the
scipy-openblas of NumPy's wheels): a second copy of OpenBLAS would start threads of its own that fight NumPy's.
Where that BLAS is not found (a NumPy built on MKL or Accelerate), ``subtract_product`` forms the product and
subtracts it. Both give the same numbers wherever the BLAS does not split the inner dimension (the batch) into
blocks (up to 256 rows on the machines measured), and agree to the last bit of the subtraction otherwise.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
from collections.abc import Callable

import numpy as np

# CBLAS's enumerations
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112

# below this many entries in w the ctypes call (about 3.5 us) costs more than the subtraction it saves
WORTH_IT = 32768


@functools.cache
def _gemm(dtype: np.dtype) -> Callable[..., None] | None:
    """cblas_sgemm (float32) or cblas_dgemm (float64) of the scipy-openblas NumPy loaded, checked on a small
    product; None where there is none."""
    letter = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}.get(np.dtype(dtype))
    blas = getattr(np.__config__, "CONFIG", {}).get("Build Dependencies", {}).get("blas", {})
    if letter is None or blas.get("name") != "scipy-openblas":
        return None
    numpy_dir = os.path.dirname(np.__file__)  # the wheel's copy: numpy.libs beside numpy, or numpy/.dylibs
    candidates = sorted(glob.glob(os.path.join(numpy_dir + ".libs", "*scipy_openblas*"))
                        + glob.glob(os.path.join(numpy_dir, ".dylibs", "*scipy_openblas*")))
    for path in candidates:
        try:
            library = ctypes.CDLL(path)  # loaded by NumPy already: the same library, not a second copy
            gemm = getattr(library, f"scipy_cblas_{letter}gemm64_")  # 64-bit integers (ILP64)
        except (OSError, AttributeError):
            continue
        integer, real = ctypes.c_int64, ctypes.c_float if letter == "s" else ctypes.c_double
        gemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer, integer, real, ctypes.c_void_p,
                         integer, ctypes.c_void_p, integer, real, ctypes.c_void_p, integer]
        gemm.restype = None
        if _checked(gemm, np.dtype(dtype)):
            return gemm
    return None


def _operand(m: np.ndarray) -> tuple[int, int] | None:
    """(CBLAS transpose flag, leading dimension) of a row-major operand: m itself (C order) or the transpose of a
    C-order array (Fortran order); None for any other layout."""
    if m.flags.c_contiguous and m.shape[1] > 0:
        return NO_TRANS, m.shape[1]
    if m.flags.f_contiguous and m.shape[0] > 0:
        return TRANS, m.shape[0]
    return None


def _call(gemm: Callable[..., None], w: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """w <- w - a @ b through ``gemm``; False (nothing done) where an operand's layout does not suit it."""
    op_a, op_b = _operand(a), _operand(b)
    if (op_a is None or op_b is None or not w.flags.c_contiguous or not w.flags.writeable or w.shape[1] == 0
            or not (w.flags.aligned and a.flags.aligned and b.flags.aligned)):
        return False
    (m, k), n = a.shape, b.shape[1]
    gemm(ROW_MAJOR, op_a[0], op_b[0], m, n, k, -1.0, a.ctypes.data, op_a[1], b.ctypes.data, op_b[1], 1.0,
         w.ctypes.data, n)
    return True


def _checked(gemm: Callable[..., None], dtype: np.dtype) -> bool:
    """Whether ``gemm`` gives w - a @ b on a small product in the layout fit uses (a transposed, b not)."""
    x = np.arange(1.0, 7.0, dtype=dtype).reshape(3, 2)  # (batch, in)
    grad_z = np.arange(1.0, 13.0, dtype=dtype).reshape(3, 4)  # (batch, units)
    w = np.ones((2, 4), dtype=dtype)
    expected = w - x.T @ grad_z
    return _call(gemm, w, x.T, grad_z) and np.array_equal(w, expected)


def subtract_product(w: np.ndarray, a: np.ndarray, b: np.ndarray, beta: float = 1.0) -> None:
    """w <- beta w - a @ b in place: w *= beta (unless 1), then w - a @ b inside gemm (alpha = -1, beta = 1) for a w
    of WORTH_IT entries or more in float32 or float64, where NumPy's own BLAS is found and the operands are C- or
    Fortran-ordered; else the product, then the subtraction. The numbers are NumPy's w * beta - a @ b either way.

    Args:
        w: the (m, n) array to update, C-ordered (a weight's value, or its momentum).
        a: the (m, k) left factor (``x.T`` for a Dense kernel).
        b: the (k, n) right factor (lr dL/dz).
        beta: the factor on w first (SGD's momentum mu; 1 for plain descent).

    Example:
        >>> import numpy as np
        >>> from nnlite.blas import subtract_product
        >>> w = np.ones((2, 2))
        >>> subtract_product(w, np.array([[1.0], [2.0]]), np.array([[0.5, 0.25]]))
        >>> w
        array([[0.5 , 0.75],
               [0.  , 0.5 ]])
    """
    if a.shape[1] != b.shape[0] or w.shape != (a.shape[0], b.shape[1]):
        raise ValueError(f"subtract_product needs w (m, n), a (m, k) and b (k, n); got w {w.shape}, a {a.shape} "
                         f"and b {b.shape}.")
    if beta != 1:
        w *= beta
    if w.size >= WORTH_IT and w.dtype == a.dtype == b.dtype:
        gemm = _gemm(w.dtype)
        if gemm is not None and _call(gemm, w, a, b):
            return
    w -= a @ b
