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


def test_cli_targets_reference_protocol_and_sensitivity(capsys):
    assert cli.main(["validate", "targets", "--protocol", "reference", "--quick", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["mode"] for s in data["suites"]] == ["reference quick", "reference quick"]
    assert data["suites"][1]["n_configurations"] == 3 ** 6
    assert cli.main(["validate", "targets", "--quick", "--sensitivity", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["sensitivity"]
    assert [r["eps"] for r in rows] == [0.001, 0.005, 0.01, 0.02]


def test_bad_options_are_named(capsys):
    with pytest.raises(SystemExit):
        cli.main(["validate", "targets", "--protocol", "paper"])
    assert "invalid choice: 'paper'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def raw4():
    return tg.tr4_raw(quick=True, seed=1, samples=400)[0]


def test_sensitivity_row_at_the_default_eps_is_the_suite(tr4, raw4):
    rows = {r["eps"]: r for r in tg.tr4_sensitivity(raw4)}
    assert {k: v for k, v in rows[tg.EPS].items() if k in TR4_NAMES} == _rates(tr4)
    for name in ("cooperation_emergence", "defection_punishment"):     # ">= eps" criteria fall as eps grows
        seq = [rows[e][name] for e in tg.SENSITIVITY_EPS]
        assert seq == sorted(seq, reverse=True)


def test_forgiveness_criteria_by_hand():
    raw = {"rise": np.zeros(4), "drop": np.zeros(4), "bounded": np.ones(4, dtype=bool),
           "lapse_drop": np.array([0.05, 0.05, 0.004, 0.2]), "lapse_end": np.array([0.004, 0.006, 0.0, 0.015]),
           **{f"peak:{k}": np.zeros(4) for k in ("emerge", "half_cooperate", "punish", "half_defect", "more_cooperate",
                                                  "less_cooperate", "more_defect", "less_defect")}}
    ok = tg.tr4_criteria(raw, eps=0.01)
    # visible drop (>= .01) and back within .01: rows 0 (.004) and 1 (.006); row 2's drop is invisible, row 3 is .015 off
    assert ok["forgiveness"].tolist() == [True, True, False, False]
    # relative: back within 10 % of the drop: .004 < .005 yes, .006 no, invisible no, .015 < .02 yes
    assert ok["forgiveness_relative"].tolist() == [True, False, False, True]


@pytest.mark.parametrize("argv, message", [
    (["validate", "cases", "--protocol", "reference"], "--protocol applies to `coopgym validate targets`"),
    (["validate", "targets", "--rubric", "both"], "--rubric applies to `coopgym validate cases`"),
    (["validate", "all", "--protocol", "spec"], "all runs both protocols"),
    (["validate", "targets", "--update-docs", "x.md"], "--update-docs applies to `coopgym validate all`"),
    (["validate", "targets", "--protocol", "reference", "--sensitivity"], "--sensitivity applies to the spec protocol"),
])
def test_options_of_another_subcommand_are_refused(capsys, argv, message):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err
