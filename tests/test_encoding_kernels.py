"""Weight encodings: slicing, differential and offset targets, input chunks, the bit-slicing law."""

import numpy as np
import pytest

from kernels import encoding


def test_balanced_and_unbalanced_allocation():
    assert encoding.slice_allocation(8, 2) == (4, 4)
    assert encoding.slice_allocation(8, 2, "unbalanced") == (3, 5)
    assert encoding.slice_allocation(8, 4, "unbalanced") == (1, 1, 3, 3)
    assert encoding.slice_allocation(7, 2) == (3, 4)  # the extra bit goes to the less significant slice
    assert encoding.slice_allocation(8, 1, "unbalanced") == (8,)
    assert sum(encoding.slice_allocation(13, 3, "unbalanced")) == 13


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weight_bits=2, n_slices=3), "weight_bits = 2 cannot fill n_slices = 3"),
        (dict(weight_bits=40, n_slices=2), "more than 16 bits per slice"),
        (dict(weight_bits=8, n_slices=2, allocation="random"), "allocation must be"),
        (dict(weight_bits=8, n_slices=0), "n_slices must be an integer in"),
    ],
)
def test_allocation_rejects_what_cannot_hold_the_precision(kwargs, match):
    with pytest.raises(ValueError, match=match):
        encoding.slice_allocation(**kwargs)


def test_digital_slicing_reproduces_quantized_weights():
    w = np.linspace(-1, 1, 2001)
    levels = encoding.slice_levels(w, (4, 4), 16)
    assert np.all(levels == np.rint(levels))
    assert np.all(np.abs(levels) <= 15)
    # S = 16 * 15 + 15 = 255 least-significant units: within half a unit.
    back = encoding.combine_slices(levels, (4, 4), 16)
    assert np.max(np.abs(back - w)) <= 0.5 / 255 + 1e-12


def test_equal_significance_averages_instead_of_filling():
    w = np.linspace(-1, 1, 501)
    levels = encoding.slice_levels(w, (4, 4, 4), 1)
    # Every slice carries about the same share: no slice differs from w * 15 by more than one level.
    assert np.max(np.abs(levels - w * 15)) <= 1.0 + 1e-12
    back = encoding.combine_slices(levels, (4, 4, 4), 1)
    assert np.max(np.abs(back - w)) <= 0.5 / 45 + 1e-12
    analog = encoding.slice_levels(w, (4, 4, 4), 1, quantize=False)
    np.testing.assert_allclose(analog, np.broadcast_to(w * 15, analog.shape), atol=1e-12)


def test_unbalanced_slicing_is_still_exact_to_one_level():
    w = np.linspace(-1, 1, 1001)
    bits = encoding.slice_allocation(8, 2, "unbalanced")  # (3, 5): F = 32 is digital
    levels = encoding.slice_levels(w, bits, 32)
    sig, full = encoding.significances(bits, 32)
    assert full == 32 * 7 + 31
    assert np.max(np.abs(encoding.combine_slices(levels, bits, 32) - w)) <= 0.5 / full + 1e-12


def test_error_factor_formula():
    assert encoding.sliced_error_factor(4, 1) == pytest.approx(0.5)
    assert encoding.sliced_error_factor(1, 16) == pytest.approx(1.0)
    # Base 2 levels off near 1/sqrt(3) = 0.577 (physics reference section 9).
    assert encoding.sliced_error_factor(30, 2) == pytest.approx(1 / np.sqrt(3), rel=1e-6)
    b, n = 4.0, 3
    direct = np.sqrt(sum(b ** (2 * i) for i in range(n))) / sum(b**i for i in range(n))
    assert encoding.sliced_error_factor(n, b) == pytest.approx(direct)


@pytest.mark.parametrize("n, base", [(2, 1.0), (4, 1.0), (3, 2.0), (2, 16.0), (5, 3.0)])
def test_bit_slicing_law_monte_carlo(n, base):
    """Independent slice errors of eta_s (relative to a slice's range) combine as section 9 says."""
    rng = np.random.default_rng(11)
    m = 200_000
    w = rng.uniform(-1, 1, m)
    bits = (4,) * n
    levels = encoding.slice_levels(w, bits, base, quantize=False)
    eta_s = 0.05
    noisy = levels + eta_s * 15 * rng.standard_normal(levels.shape)  # 15 = full range of a 4-bit slice
    err = encoding.combine_slices(noisy, bits, base) - w
    measured = np.sqrt(np.mean(err**2))
    expected = eta_s * encoding.sliced_error_factor(n, base)
    # RMS of m Gaussian samples: relative standard error 1 / sqrt(2 m) = 0.16 %; allow 5 of them.
    assert measured == pytest.approx(expected, rel=5 / np.sqrt(2 * m))


def test_differential_targets():
    v = np.array([-1.0, -0.25, 0.0, 0.5, 1.0])
    gp, gm = encoding.differential_targets(v, 1.0, 21.0)
    np.testing.assert_allclose(gp - gm, 20.0 * v)
    np.testing.assert_allclose(np.minimum(gp, gm), 1.0)  # one-sided: the unused device at g_lo
    gp2, gm2 = encoding.differential_targets(v, 1.0, 21.0, two_sided=True)
    np.testing.assert_allclose(gp2 - gm2, 20.0 * v)
    np.testing.assert_allclose(gp2 + gm2, 22.0)  # symmetric around the middle


def test_set_only_raises_only_and_flags_saturation():
    g_lo, g_hi = 0.0, 10.0
    gp, gm, sat = encoding.set_only_targets(np.array([0.5, -0.5]), np.zeros(2), np.zeros(2), g_lo, g_hi)
    np.testing.assert_allclose(gp - gm, [5.0, -5.0])
    assert not sat.any()
    # Now lower the first weight: G- climbs, G+ stays.
    gp2, gm2, sat2 = encoding.set_only_targets(np.array([-0.2, -0.5]), gp, gm, g_lo, g_hi)
    assert np.all(gp2 >= gp) and np.all(gm2 >= gm)
    np.testing.assert_allclose(gp2 - gm2, [-2.0, -5.0])
    # A pair near the top cannot follow: it saturates and is flagged.
    gp3, gm3, sat3 = encoding.set_only_targets(np.array([0.9]), np.array([9.0]), np.array([9.5]), g_lo, g_hi)
    assert sat3[0] and gp3[0] == 10.0


def test_offset_targets():
    g, ref = encoding.offset_targets(np.array([-1.0, 0.0, 1.0]), 2.0, 22.0)
    assert ref == 12.0
    np.testing.assert_allclose(g, [2.0, 12.0, 22.0])


def test_input_chunks_rebuild_the_codes():
    codes = np.arange(-127, 128, dtype=float)
    chunks, b = encoding.input_chunks(codes, 8, 2)
    assert b == 2 and chunks.shape == (4, codes.size)
    assert np.all(np.abs(chunks) <= 3)
    rebuilt = sum(2 ** (k * b) * chunks[k] for k in range(len(chunks)))
    np.testing.assert_array_equal(rebuilt, codes)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: encoding.slice_levels([0.5, np.nan], (4, 4), 16), "w must be finite"),
        (lambda: encoding.slice_levels([1.5], (4, 4), 16), r"w must lie in \[-1, 1\]"),
        (lambda: encoding.slice_levels([0.5], (4, 17), 16), r"slice_bits\[1\] must be an integer in \[1, 16\]"),
        (lambda: encoding.slice_levels([0.5], (4, 0), 16), r"slice_bits\[1\] must be an integer in \[1, 16\]"),
        (lambda: encoding.differential_targets([0.5], 5.0, 5.0), "g_hi must be larger than g_lo"),
        (lambda: encoding.input_chunks([3.0], 8, 0), "input_slice_bits must be an integer"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
