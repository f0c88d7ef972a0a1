"""Case-study rubrics are computed from model output: perturbing the model moves the score."""
import numpy as np

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


def test_apache_score_follows_the_phases():
    base = cases.apache()
    assert len(base["phases"]) == 4 and base["total"] == sum(p["points"] for p in base["phases"])
    saved = cases.APACHE_PHASES
    try:
        cases.APACHE_PHASES = tuple((name, n, theta, 10.0 - doc) for name, n, theta, doc in saved)
        assert cases.apache()["total"] != base["total"]
    finally:
        cases.APACHE_PHASES = saved


def test_sensitivity_is_seeded():
    a = cases.slcd_sensitivity("log", draws=50, seed=1)
    assert a == cases.slcd_sensitivity("log", draws=50, seed=1)
    assert 0 <= a["p5"] <= a["median"] <= a["p95"] <= 60


def test_renault_nissan_score_follows_the_model():
    base = cases.renault_nissan()
    assert base["total"] == sum(base["points"].values()) and base["out_of"] == 60
    gentle = cases.renault_nissan(phases=tuple((n, 6.0, k) for n, _, k in cases.RN_PHASES))   # no crisis at all
    assert gentle["points"]["mechanism validation"] < base["points"]["mechanism validation"]
    no_erosion = cases.renault_nissan(params=cases.tr.TrustParams.of(0.08, 0.0, 0.0, 0.02, 0.5, 1.0, 0.45, 0.05))
    assert no_erosion["total"] != base["total"]


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
