"""nnlite's own vectorised erfc (exact gelu without SciPy) against Python's math.erfc, at the range
boundaries, near 0, in the tail where erfc leaves the normal numbers, and at inf and NaN."""

from __future__ import annotations

import math

import numpy as np

from nnlite import special


def test_erfc_within_a_few_ulp_of_math_erfc(rng):
    edges = [0.0, -0.0, special.SMALL, -special.SMALL, np.nextafter(special.SMALL, 1), special.MIDDLE,
             -special.MIDDLE, np.nextafter(special.MIDDLE, 5), 1e-300, -1e-300, 5e-324, 26.0, 26.6, 27.3, -27.3]
    x = np.concatenate([rng.normal(size=50_000) * 3, np.linspace(-28, 28, 40_001), edges])
    reference = np.array([math.erfc(v) for v in x])
    ours = special.erfc(x)
    normal = np.abs(reference) >= np.finfo(np.float64).tiny
    ulp = np.abs(ours - reference) / np.spacing(np.abs(reference))
    assert ulp[normal].max() <= 8, x[normal][np.argmax(ulp[normal])]
    assert np.abs(ours - reference)[~normal].max() <= 1e-320  # the subnormal tail, to its resolution
    assert special.erfc(np.array([0.0]))[0] == 1.0


def test_erfc_at_infinities_nan_and_in_float32():
    out = special.erfc(np.array([np.inf, -np.inf, np.nan]))
    assert out[0] == 0.0 and out[1] == 2.0 and np.isnan(out[2])
    x32 = np.linspace(-5, 5, 101, dtype=np.float32)
    out32 = special.erfc(x32)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, [math.erfc(v) for v in x32.astype(float)], rtol=1e-6, atol=1e-30)


def test_erfc_keeps_the_shape_and_warns_of_nothing():
    import warnings

    x = np.array([[np.inf, -1.0, 0.3], [5.0, -np.inf, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = special.erfc(x)
    assert out.shape == (2, 3)
    expected = [[0.0, math.erfc(-1.0), math.erfc(0.3)], [math.erfc(5.0), 2.0, np.nan]]
    np.testing.assert_allclose(out, expected, rtol=1e-15, atol=0)
    assert special.erfc(np.float64(0.5)).shape == () and special.erfc(np.float64(0.5)) == special.erfc([0.5])[0]
