"""The learning check behind the README's table (``python -m coopgym.baselines.learners.check``).

Every learner, default hyperparameters, 200,000 env-steps: its normalised score (0 = random, 1 = the
best of every oracle and constant policy under that reward, recomputed from the registry) on
TeamProduction-v0 under the cooperative reward, where all-in effort is optimal, is at least 0.8.

COOPGYM_LEARNING=short (the default, CI): that setting, seed 0. COOPGYM_LEARNING=full: seeds 0, 1, 2,
and the table's two other settings too (SLCD-v0 private, ReciprocalDilemma-v0 integrated), where the
scores are reported, not required (the README says where a learner falls short).
"""
import os

import numpy as np
import pytest

from coopgym.baselines.learners.check import SETTINGS, references, run
from learner_settings import NAMES

LEARNING = os.environ.get("COOPGYM_LEARNING", "short")
SEEDS = (0, 1, 2) if LEARNING == "full" else (0,)
STEPS = 200_000
TEAM = ("TeamProduction-v0", "cooperative")


@pytest.fixture(scope="module")
def refs():
    settings = SETTINGS if LEARNING == "full" else (TEAM,)
    return {(env, reward, seed): references(env, reward, seed) for env, reward in settings for seed in SEEDS}



@pytest.mark.learning
@pytest.mark.parametrize("name", NAMES)
def test_every_learner_learns_the_team_game(name, refs):
    for seed in SEEDS:
        row = run(name, *TEAM, seed, STEPS, refs[(*TEAM, seed)])
        assert row["score"] >= 0.8, row


@pytest.mark.learning
@pytest.mark.skipif(LEARNING != "full", reason="the full learning check only")
@pytest.mark.parametrize("name", NAMES)
def test_scores_in_the_other_settings_are_measured(name, refs):
    for env, reward in SETTINGS:
        if (env, reward) != TEAM:
            scores = [run(name, env, reward, seed, STEPS, refs[(env, reward, seed)])["score"] for seed in SEEDS]
            assert np.isfinite(scores).all()
