"""The policy registry and `coopgym policies`: stable names, the reference set, constant policies."""
import json

import numpy as np
import pytest

from coopgym import rng
from coopgym.registry import REGISTRY, make_policy, policy_names
from coopgym.cli import main
from coopgym.envs import make_game

LEARNERS = ["ippo", "ia2c", "isac", "ireinforce", "lola", "selfplay_ppo", "fcp",
            "mappo", "maddpg", "matd3", "masac", "m3ddpg", "qmix", "vdn", "coma", "meanfield_ac"]
ORACLES = ["oracle/equilibrium", "oracle/trust_aware", "oracle/nash", "oracle/social_optimum", "oracle/loyalty",
           "oracle/reciprocity", "oracle/bounded_reciprocity"]
HEURISTICS = ["heuristic/random", "heuristic/tit_for_tat"]
CONSTANTS = [f"constant/{level}" for level in range(101)]


def test_the_reference_set_has_its_126_stable_names():
    names = set(policy_names())
    assert set(CONSTANTS + HEURISTICS) <= names
    independent = LEARNERS[:7]
    assert set(independent) <= names
    missing = sorted(set(LEARNERS + ORACLES) - names)
    if missing:
        pytest.skip(f"not registered yet: {missing}")
    reference = [n for n, e in REGISTRY.items() if e.kind in ("learner", "oracle", "heuristic", "constant")]
    assert len(reference) >= 126 and len(set(reference)) == len(reference)
    assert {REGISTRY[n].kind for n in LEARNERS} == {"learner"} and all(REGISTRY[n].trains for n in LEARNERS)
    assert {REGISTRY[n].kind for n in ORACLES} == {"oracle"} and not any(REGISTRY[n].trains for n in ORACLES)


@pytest.mark.parametrize("env_id", ["SLCD-v0", "PartnerHoldUp-v0", "AppleAppStore-v0", "TeamProduction-v0"])
def test_each_constant_policys_actions_are_its_level_times_e(env_id):
    game = make_game(env_id)
    state = game.reset(rng.seed_keys(0, 3))
    for level in range(101):
        policy = make_policy(f"constant/{level}").bind(game)
        expected = np.tile(level / 100 * game.e, (3, 1))
        np.testing.assert_allclose(policy.act(game, state, slice(None)), expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(policy.act(game, state, np.array([game.n - 1])), expected[:, -1:], atol=1e-12)


def test_every_entry_states_kind_family_reference_and_training():
    for entry in REGISTRY.values():
        assert entry.kind in ("learner", "oracle", "heuristic", "constant", "probe")
        assert entry.family and entry.reference and isinstance(entry.trains, bool)
        assert entry.trains == (entry.kind == "learner")
    with pytest.raises(ValueError, match="unknown policy"):
        make_policy("ppo")


def test_coopgym_policies_lists_the_registry(capsys):
    assert main(["policies", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(REGISTRY)
    assert set(rows[0]) == {"name", "kind", "family", "trains", "reference", "objective"}
    assert main(["policies", "--kind", "learner", "--family", "independent", "--json"]) == 0
    assert {r["name"] for r in json.loads(capsys.readouterr().out)} == set(LEARNERS[:7])
    assert main(["policies"]) == 0
    assert "in the reference set" in capsys.readouterr().out
    assert main(["policies", "--kind", "wizard"]) == 2


def test_listing_the_policies_imports_no_learner_and_no_oracle():
    """Names, kinds and references come from the registry's listing; `coopgym policies` runs without torch."""
    import subprocess
    import sys

    code = ("import sys, coopgym.registry as r; from coopgym.cli import main; names = r.policy_names(); "
            "main(['policies', '--json']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'stable_baselines3') "
            "or m.startswith(('coopgym.oracles', 'coopgym.baselines'))), len(names), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == f"[] {len(REGISTRY)}"


def test_lazy_entries_name_their_own_class():
    """Each oracle and learner listed by "module:attribute" resolves to a policy class that says the same
    kind, family and reference as the listing."""
    for entry in REGISTRY.values():
        if isinstance(entry.target, str):
            cls = entry.factory
            assert isinstance(cls, type), entry.name
            assert (cls.kind, cls.family, cls.reference, cls.trains) == (
                entry.kind, entry.family, entry.reference, entry.trains), entry.name
    assert {e.kind for e in REGISTRY.values() if isinstance(e.target, str)} == {"learner", "oracle"}
