"""The TR-3 / TR-4 behavioural-target suites and `coopgym validate`."""
import json

import numpy as np
import pytest

from coopgym import cli
from coopgym.commands import validate
from coopgym.mechanisms import collective as co
from coopgym.validation import targets as tg

TR3_NAMES = ["free_riding_baseline", "loyalty_monotonicity", "effort_differentiation", "team_size_effect",
             "mechanism_synergy", "bounded_outcomes"]
TR4_NAMES = ["cooperation_emergence", "defection_punishment", "forgiveness", "asymmetric_differentiation",
             "trust_reciprocity_interaction", "bounded_responses"]


@pytest.fixture(scope="module")
def tr3():
    return tg.tr3_targets(quick=True, seed=1, samples=200)


@pytest.fixture(scope="module")
def tr4():
    return tg.tr4_targets(quick=True, seed=1, samples=400)


def _rates(suite):
    return {t.name: t.pass_rate for t in suite.targets}


def test_suites_are_complete_and_consistent(tr3, tr4):
    for suite, names in ((tr3, TR3_NAMES), (tr4, TR4_NAMES)):
        assert [t.name for t in suite.targets] == names
        for t in suite.targets:
            assert t.n_configurations > 0 and 0.0 <= t.pass_rate <= 1.0
            expect = t.pass_rate == 1.0 if t.threshold >= 1.0 else t.pass_rate > t.threshold
            assert t.passed == expect
    assert [t.threshold for t in tr4.targets] == [0.85, 0.95, 0.80, 0.90, 0.90, 1.0]
    assert tr3.n_configurations == 200 * 5 and tr4.n_configurations == 400


def test_median_differentiation_is_the_closed_form_median(tr3):
    cfg = tg.sweep(*tg._axes(tg.TR3_SPACE, tg.TR3_GRID, None), True, 1, 200)
    n = np.asarray(tg.TR3_N, dtype=float)[None, :]
    args = [cfg[k][:, None] for k in ("omega", "beta", "c", "phi_B", "phi_C")]
    ratio = (co.loyalty_effort(0.9, *args[:3], *args[3:], n, 50.0)
             / co.loyalty_effort(0.1, *args[:3], *args[3:], n, 50.0))
    assert tr3.stats["median_differentiation"] == pytest.approx(float(np.median(ratio)), rel=1e-9)
    assert _rates(tr3)["effort_differentiation"] == pytest.approx(float(np.mean(ratio > 2)))


def test_quick_is_seeded():
    a = tg.tr4_targets(quick=True, seed=3, samples=150)
    b = tg.tr4_targets(quick=True, seed=3, samples=150)
    assert _rates(a) == _rates(b)
    c = tg.tr3_targets(quick=True, seed=3, samples=50)
    d = tg.tr3_targets(quick=True, seed=4, samples=50)
    assert c.stats["median_differentiation"] != d.stats["median_differentiation"]


def test_full_grid_is_the_factorial_product():
    cfg = tg.sweep(*tg._axes(tg.TR4_SPACE, tg.TR4_GRID, {"rho0": 1.0, "eta": 1.0, "kappa": 1.0},
                             {"k": tg.TR4_K}), False, 0, 0)
    assert len(cfg["k"]) == 20 * tg.TR4_GRID ** 2
    assert sorted(set(cfg["k"])) == list(range(1, 21))
    with pytest.raises(ValueError, match="unknown sweep axis"):
        tg.tr4_targets(quick=True, fixed={"nope": 1})


def test_without_loyalty_mechanisms_the_loyalty_targets_fail(tr3):
    off = tg.tr3_targets(quick=True, seed=1, samples=200, fixed={"phi_B": 0.0, "phi_C": 0.0})
    r, r0 = _rates(off), _rates(tr3)
    assert r["effort_differentiation"] == 0.0 < r0["effort_differentiation"]
    assert r["loyalty_monotonicity"] < r0["loyalty_monotonicity"]
    assert off.stats["median_differentiation"] == pytest.approx(1.0)
    assert r["free_riding_baseline"] == r0["free_riding_baseline"] == 1.0  # theta = 0 does not use phi


def test_a_larger_effort_cap_changes_the_tr3_results(tr3):
    wide = tg.tr3_targets(quick=True, seed=1, samples=200, a_max=1e6)
    assert wide.stats["median_differentiation"] > tr3.stats["median_differentiation"]
    assert _rates(wide)["effort_differentiation"] > _rates(tr3)["effort_differentiation"]


@pytest.mark.parametrize("fixed", [{"lambda_R": 0.0}, {"rho0": 0.0}])
def test_without_reciprocity_the_response_targets_fail(tr4, fixed):
    off = _rates(tg.tr4_targets(quick=True, seed=1, samples=400, fixed=fixed))
    on = _rates(tr4)
    for name in TR4_NAMES[:5]:
        assert off[name] == 0.0 < on[name]
    assert off["bounded_responses"] == 1.0


def test_stronger_reciprocity_raises_the_response_targets():
    weak = _rates(tg.tr4_targets(quick=True, seed=2, samples=300, fixed={"lambda_R": 0.5}))
    strong = _rates(tg.tr4_targets(quick=True, seed=2, samples=300, fixed={"lambda_R": 2.0}))
    assert strong["defection_punishment"] > weak["defection_punishment"]
    assert strong["cooperation_emergence"] >= weak["cooperation_emergence"]


def test_cli_targets_json_and_table(capsys, monkeypatch):
    small3 = tg.tr3_targets(quick=True, seed=0, samples=30)
    small4 = tg.tr4_targets(quick=True, seed=0, samples=60)
    monkeypatch.setattr(tg, "run_targets",
                        lambda quick=False, seed=0: tg.TargetsReport((small3, small4),
                                                                     small3.stats["median_differentiation"]))
    assert cli.main(["validate", "targets", "--quick", "--json", "--seed", "5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["suite"] for s in data["suites"]] == ["TR-3", "TR-4"]
    assert len(data["suites"][1]["targets"]) == 6 and data["median_differentiation"] > 0
    assert cli.main(["validate", "targets", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "defection_punishment" in out and "median effort differentiation" in out
    strict = cli.main(["validate", "targets", "--quick", "--strict"])
    failed = any(not t.passed for s in (small3, small4) for t in s.targets)
    assert strict == (1 if failed else 0)


def test_cli_cases_hook_without_the_module(capsys, monkeypatch):
    real = validate.importlib.util.find_spec
    monkeypatch.setattr(validate.importlib.util, "find_spec",
                        lambda name, *a: None if name == validate.CASES else real(name, *a))
    assert cli.main(["validate", "cases"]) == 2
    assert "not available" in capsys.readouterr().out
