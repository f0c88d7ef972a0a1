"""IQM, stratified bootstrap intervals, normalisation and ranks against hand-computed numbers."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopgym.runner import stats


def test_iqm_hand_computed():
    assert stats.iqm([1, 2, 3, 4, 5, 6, 7, 8]) == 4.5               # mean of 3, 4, 5, 6
    assert stats.iqm([5, 0, 100, 1, 2, 3, 4, -100]) == 2.5          # outliers trimmed: mean of 1, 2, 3, 4
    assert stats.iqm(list(range(1, 13))) == 6.5                      # mean of 4 .. 9
    assert stats.iqm([5.0]) == 5.0 and stats.iqm([1, 2, 3]) == 2.0  # fewer than 4 runs: nothing trimmed


def test_stratified_interval_hand_computed():
    # Strata A = [0, 10] and B = [20, 20]; B always resamples to (20, 20). The pooled mean is
    # (a1 + a2 + 40) / 4 with a1 + a2 in {0, 10, 20} w.p. 1/4, 1/2, 1/4 -> 10, 12.5, 15:
    # the 2.5 % and 97.5 % percentiles fall inside the atoms at 10 and 15.
    point, lo, hi = stats.interval([[0, 10], [20, 20]], "mean", reps=20000)
    assert (point, lo, hi) == (12.5, 10.0, 15.0)
    # Without strata the same four runs give the wider interval: the pooled mean can reach 0 .. 20.
    point, lo, hi = stats.interval([0, 10, 20, 20], "mean", reps=20000)
    assert point == 12.5 and lo == 5.0 and hi == 20.0
    # A stratum with a single repeated value has no spread.
    assert stats.interval([[3.0, 3.0, 3.0]], "iqm") == (3.0, 3.0, 3.0)


def test_iqm_interval_matches_the_exact_bootstrap_distribution():
    """Enumerate every stratified resample (4^4 x 2^2 = 1024, equally likely) and compare quantiles."""
    a, b = [0.0, 4.0, 8.0, 30.0], [1.0, 2.0]
    exact = []
    for ia in itertools.product(range(4), repeat=4):
        for ib in itertools.product(range(2), repeat=2):
            exact.append(stats.iqm(np.array([a[i] for i in ia] + [b[i] for i in ib])))
    lo_exact, hi_exact = np.percentile(exact, [2.5, 97.5])
    point, lo, hi = stats.interval([a, b], "iqm", reps=200_000, seed=1)
    assert point == pytest.approx(stats.iqm(a + b))
    assert lo == pytest.approx(lo_exact, abs=0.2) and hi == pytest.approx(hi_exact, abs=0.2)


def test_layouts_and_determinism():
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(7, 3))  # rliable's (runs x tasks)
    as_matrix = stats.intervals(matrix, ("mean", "iqm"), seed=5)
    as_columns = stats.intervals([matrix[:, j] for j in range(3)], ("mean", "iqm"), seed=5)
    assert as_matrix == as_columns
    assert stats.intervals(matrix, seed=5) == as_matrix  # fixed seed: same intervals every time
    with pytest.raises(ValueError, match="finite"):
        stats.interval([1.0, np.nan])
    with pytest.raises(ValueError, match="empty"):
        stats.interval([[], []])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=6), min_size=1, max_size=4))
def test_interval_is_ordered_and_within_the_data(strata):
    for stat in ("mean", "iqm"):
        point, lo, hi = stats.interval(strata, stat, reps=200)
        flat = [x for s in strata for x in s]
        assert min(flat) - 1e-9 <= lo <= hi <= max(flat) + 1e-9
        assert min(flat) - 1e-9 <= point <= max(flat) + 1e-9


def test_normalised_gap_and_ranks():
    assert stats.normalised(10.0, 10.0, 20.0) == 0.0 and stats.normalised(20.0, 10.0, 20.0) == 1.0
    assert stats.normalised(15.0, 10.0, 20.0) == 0.5
    assert stats.normalised(5.0, 7.0, 7.0) is None  # references coincide
    assert stats.normalised(5.0, 100.0, 99.0) is None  # the oracle below random: no scale, no flipped signs
    assert stats.normalised(5.0, 100.0, 100.5) is None  # within 1 % of |oracle|
    assert stats.normalised(102.0, 100.0, 102.0) == 1.0
    assert stats.gap_percent(90.0, 100.0) == -10.0
    assert stats.gap_percent(-90.0, -100.0) == 10.0  # |R_oracle| in the denominator
    assert stats.gap_percent(1.0, 0.0) is None
    assert stats.ranks([3.0, None, 5.0, 5.0, 1.0]) == [3, None, 1, 1, 4]
