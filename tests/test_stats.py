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


def test_scale_problem_names_the_reason():
    assert stats.scale_problem(10.0, 20.0) is None
    assert "does not beat" in stats.scale_problem(10.0, 10.0)
    assert "does not beat" in stats.scale_problem(10.0, 9.0)
    assert "less than 1%" in stats.scale_problem(100.0, 100.5)     # .5 < .01 x 100.5
    assert "less than 1%" in stats.scale_problem(-100.0, -99.5)    # the larger magnitude counts: .5 < 1
    assert stats.scale_problem(-5.0, 0.0) is None
    assert "less than" in stats.scale_problem(0.0, 1e-12)          # round-off, not a scale
    assert "not finite" in stats.scale_problem(0.0, float("inf"))


def test_mean_intervals_match_the_single_column_interval():
    rng = np.random.default_rng(3)
    m = rng.normal(size=(6, 3))
    m[2, 1] = np.nan
    out = stats.mean_intervals(m, reps=500, seed=7)
    for j in (0, 2):
        assert out[j] == pytest.approx(stats.interval(m[:, j], "mean", reps=500, seed=7))
    assert out[1] is None                                         # a column with an undefined value
    assert stats.mean_intervals([[4.0]]) == [(4.0, 4.0, 4.0)]      # one seed: no spread


def test_performance_profile_hand_computed():
    # one task, runs [0, 1]: tau = .5 -> 1/2 of the runs above it. A resample of two runs has 0, 1 or 2
    # runs above .5 (prob 1/4, 1/2, 1/4): the 95 % interval spans [0, 1].
    point, lo, hi = stats.performance_profile([[0.0, 1.0]], [0.5], reps=20000)
    assert (point[0], lo[0], hi[0]) == (0.5, 0.0, 1.0)
    # two tasks [0, 1] and [1, 1] (the second always above .5): the mean over tasks, (1/2 + 1) / 2
    point, lo, hi = stats.performance_profile([[0.0, 1.0], [1.0, 1.0]], [-1.0, 0.5, 1.0], reps=20000)
    assert point.tolist() == [1.0, 0.75, 0.0]                     # "> tau": nothing is above 1
    assert (lo[1], hi[1]) == (0.5, 1.0) and (lo[0], hi[0]) == (1.0, 1.0)


def test_probability_of_improvement_hand_computed():
    assert stats.probability_of_improvement([[1.0, 3.0]], [[2.0]])[0] == 0.5      # S(1,2)=0, S(3,2)=1
    assert stats.probability_of_improvement([[2.0]], [[2.0]]) == (0.5, 0.5, 0.5)  # a tie counts one half
    # two tasks: task 1 X always above (1), task 2 X always below (0): mean 1/2
    assert stats.probability_of_improvement([[5.0, 6.0], [0.0]], [[1.0], [3.0, 4.0]])[0] == 0.5
    with pytest.raises(ValueError, match="same tasks"):
        stats.probability_of_improvement([[1.0], [2.0]], [[1.0]])


def test_probability_of_improvement_interval_matches_the_exact_bootstrap():
    """x = [0, 2, 4], y = [1, 3]: enumerate all 3^3 x 2^2 = 108 equally likely resamples."""
    x, y = [0.0, 2.0, 4.0], [1.0, 3.0]
    exact = [np.mean([[float(a > b) for b in ys] for a in xs])
             for xs in itertools.product(x, repeat=3) for ys in itertools.product(y, repeat=2)]
    point, lo, hi = stats.probability_of_improvement([x], [y], reps=100_000, seed=2)
    assert point == pytest.approx(0.5)                            # (0 + 1/2 + 1) / 3
    lo_e, hi_e = np.percentile(exact, [2.5, 97.5])
    assert lo == pytest.approx(lo_e, abs=0.02) and hi == pytest.approx(hi_e, abs=0.02)
