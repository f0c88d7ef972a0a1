"""The policy registry and `coopgym policies`: stable names, the reference set, constant policies."""
import json

import numpy as np
import pytest

from coopgym import rng
from coopgym.baselines import REGISTRY, make_policy, policy_names
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
    assert set(rows[0]) == {"name", "kind", "family", "trains", "reference"}
    assert main(["policies", "--kind", "learner", "--family", "independent", "--json"]) == 0
    assert {r["name"] for r in json.loads(capsys.readouterr().out)} == set(LEARNERS[:7])
    assert main(["policies"]) == 0
    assert "in the reference set" in capsys.readouterr().out
    assert main(["policies", "--kind", "wizard"]) == 2
