"""Case-study rubrics are computed from model output: perturbing the model moves the score."""
import math

import numpy as np
import pytest

from coopgym.validation import cases


def _slcd(D, gamma, spec="log"):
    p = cases.SPECS[spec]
    out = cases.slcd_scores(D[None], cases.SLCD["alpha"][None], np.array([gamma]), p["value_spec"], p["theta"],
                            p["beta"])
    return {k: int(v[0]) for k, v in out["parts"].items()}, int(out["total"][0])


def test_slcd_scores_follow_the_model():
    parts, total = _slcd(cases.SLCD["D"], 0.65)
    assert total == sum(parts.values()) and 0 < total <= 60
    no_dependency, total_d0 = _slcd(np.zeros((2, 2)), 0.65)
    no_synergy, total_g0 = _slcd(cases.SLCD["D"], 0.0)
    assert total_d0 != total and total_g0 != total
    # every category reacts to some perturbation (none is a constant)
    moved = {k for k in parts if parts[k] != no_dependency[k] or parts[k] != no_synergy[k]}
    swapped, _ = _slcd(cases.SLCD["D"].T, 0.65)
    moved |= {k for k in parts if parts[k] != swapped[k]}
    broken, _ = _slcd(cases.SLCD["D"] * 5, 1.0)
    moved |= {k for k in parts if parts[k] != broken[k]}
    assert moved == set(parts), f"categories that never moved: {set(parts) - moved}"


def test_apache_reference_rubric_by_hand():
    ref = cases.apache("reference")
    # member loyalties on coopgym's general solver agree with the reference suite's scalar search (its run:
    # 9.6659057, .0962731, .0111319, .0147484; an independent method)
    np.testing.assert_allclose([p["effort"] for p in ref["phases"]], [9.6659057, 0.0962731, 0.0111319, 0.0147484],
                               rtol=2e-6)
    # by hand: valid 3 each; ranks F0 G1 E2 M3 -> 4, 4, 3, 3; bands a/50 = .19 high -> 1, .002 moderate -> 1,
    # .0002 sustained -> 1, .0003 declining (< .5) -> 4; trend 4 (highest), 4, 4, 0 (E rises 32 % over M)
    assert [p["points"] for p in ref["phases"]] == [12, 12, 11, 10] and ref["total"] == 45
    # the same bands on SPEC's symmetric experiment: formation a/50 = .28 -> 2 points
    assert [p["points"] for p in cases.apache("reference", experiment="spec")["phases"]] == [13, 12, 11, 10]
    with pytest.raises(ValueError, match="rubric must be"):
        cases.apache("paper")


def test_apache_score_follows_the_phases():
    base = cases.apache()
    assert len(base["phases"]) == 4 and base["total"] == sum(p["points"] for p in base["phases"])
    saved = cases.APACHE_PHASES
    try:
        cases.APACHE_PHASES = tuple((name, n, theta, 10.0 - doc) for name, n, theta, doc in saved)
        assert cases.apache()["total"] != base["total"]
    finally:
        cases.APACHE_PHASES = saved


def test_monte_carlo_is_seeded_and_collapses_to_the_point_scores_without_noise():
    a = cases.slcd_monte_carlo("spec", draws=50, seed=1)
    assert a == cases.slcd_monte_carlo("spec", draws=50, seed=1)
    assert 0 <= a["log"]["p5"] <= a["log"]["median"] <= a["log"]["p95"] <= 60
    for protocol in ("spec", "reference"):
        still = cases.slcd_monte_carlo(protocol, draws=5, noise=0.0)
        assert still["log"]["mean"] == cases.slcd("log")["total"] and still["power"]["mean"] == cases.slcd("power")["total"]
        assert still["log_beats_power"] == 1.0
    with pytest.raises(ValueError, match="protocol must be"):
        cases.slcd_monte_carlo("paper")


def test_random_null_scores_every_draw():
    small = cases.slcd_null(draws=200, seed=3)
    assert small == cases.slcd_null(draws=200, seed=3)
    assert 0 < small["power_mean"] < small["log_mean"] <= 60 and 0.5 < small["log_beats_power"] <= 1.0


def test_renault_nissan_score_follows_the_model():
    base = cases.renault_nissan()
    assert base["total"] == sum(base["points"].values()) and base["out_of"] == 60
    gentle = cases.renault_nissan(phases=tuple((n, 6.0, k) for n, _, k in cases.RN_PHASES))   # no crisis at all
    assert gentle["points"]["mechanism validation"] < base["points"]["mechanism validation"]
    no_erosion = cases.renault_nissan(params=cases.tr.TrustParams.of(0.08, 0.0, 0.0, 0.02, 0.5, 1.0, 0.45, 0.05))
    assert no_erosion["total"] != base["total"]


def _rn_mean_trust():
    """Mean trust after every step of the Renault-Nissan phases, by a plain scalar TR-2 loop."""
    D = {(0, 1): 0.75, (1, 0): 0.65}
    T, R, out = {k: 0.45 for k in D}, {k: 0.05 for k in D}, [0.45]
    for _, action, periods in cases.RN_PHASES:
        s = math.tanh(1.0 * (action - 5.0))
        for _ in range(periods):
            for k, d in D.items():
                if s < 0:
                    T[k], R[k] = max(min(T[k] + 0.25 * s * T[k] * (1 + 0.5 * d), 1 - R[k]), 0.0), R[k] + 0.55 * abs(s) * (1 - R[k])
                else:
                    T[k], R[k] = max(min(T[k] + 0.08 * s * max(1 - R[k] - T[k], 0.0), 1 - R[k]), 0.0), R[k] * 0.98
            out.append(sum(T.values()) / 2)
    return out


def test_renault_nissan_transition_windows_by_hand():
    mean_T = _rn_mean_trust()
    ends = np.cumsum([p for _, _, p in cases.RN_PHASES])
    phase_end = sum(abs(mean_T[b] - mean_T[a]) > 0.05 for a, b in zip(ends[:-1], ends[1:]))
    one_step = sum(abs(mean_T[t + 1] - mean_T[t - 1]) > 0.05 for t in ends[:-1])
    spec, ref = cases.renault_nissan(), cases.renault_nissan(window="one-step")
    assert (spec["transitions"], ref["transitions"]) == (phase_end, one_step) == (3, 2)
    assert spec["final_trust"] == pytest.approx(mean_T[-1], abs=1e-12)
    assert spec["points"]["outcome correspondence"] - ref["points"]["outcome correspondence"] == 2
    with pytest.raises(ValueError, match="window must be"):
        cases.renault_nissan(window="two-step")


def test_apple_reference_calibration_by_hand():
    P = cases.APPLE_PARAMS["reference"]
    a, _ = cases._apple_run(P, P["rho0"])
    # no memory at t = 0, so no reciprocity: a(1) = a(0) - .05 (a(0) - .5)
    np.testing.assert_allclose(a[0], [0.70, 0.65, 0.68])
    np.testing.assert_allclose(a[1], [0.70 - 0.05 * 0.20, 0.65 - 0.05 * 0.15, 0.68 - 0.05 * 0.18], atol=1e-12)
    spec_a, _ = cases._apple_run(cases.APPLE_PARAMS["spec"], 0.85)
    np.testing.assert_allclose(spec_a[:2], 0.5)          # SPEC's calibration starts and stays at the baseline
    assert cases.apple("reference")["percent"] != cases.apple("spec")["percent"]


def test_run_cases_labels_both_rubrics():
    out = cases.run_cases("both")
    assert set(out["apache"]) == {"spec", "reference", "reference_bands_spec_experiment"}
    assert out["renault_nissan"]["reference"]["window"] == "one-step" and out["apple"]["reference"]["params"] == "reference"
    assert set(cases.run_cases("spec")["apple"]) == {"spec"}
    with pytest.raises(ValueError, match="rubric must be one of"):
        cases.run_cases("all")


def test_apple_indicators_follow_the_model():
    base = cases.apple()
    assert len(base["grid"]) == 5 and all(len(v) == 12 for v in base["grid"].values())
    assert 0 < base["applicable"] <= 60
    saved = dict(cases.APPLE_SHOCKS)
    try:
        cases.APPLE_SHOCKS.clear()            # no history at all: the shock indicators stop applying
        calm = cases.apple()
    finally:
        cases.APPLE_SHOCKS.update(saved)
    assert calm["applicable"] < base["applicable"] and calm["percent"] != base["percent"]
