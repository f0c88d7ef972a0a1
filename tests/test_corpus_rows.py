"""Stored corpus rows re-run to the same record: a sample of the constant and heuristic rows.

For every environment, one constant-policy row and one heuristic row of
``corpus/runs.parquet`` are executed again through ``execute(record.config)`` and
every field but timings, timestamps and library versions must equal the stored
one. The metrics are summaries the evaluation code computes from those returns
(its summation order changed with the metrics of issue #11), so they agree to a
relative 1e-12, cooperation only where every episode runs the full horizon
(v1 pooled the steps of all episodes, v2 averages per episode); a metric the stored row did not measure (None: corpus v1 had no
welfare or equality) is not compared. ReputationMarket-v0 rows are left out: its tiers moved
from the pre-step to the post-step reputation (docs/reproducibility.md), a rule
change, not a refactor.
"""
import random
from pathlib import Path

import pytest

from coopgym.runner import execute as ex
from coopgym.runner.corpus import load_corpus
from corpus_rerun import fields

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def sample():
    gen = random.Random(13)
    by_env: dict[str, dict[str, list]] = {}
    for r in load_corpus(CORPUS):
        kind = r.config.policy.split("/")[0]
        if kind in ("constant", "heuristic"):
            by_env.setdefault(r.config.env, {}).setdefault(kind, []).append(r)
    return [gen.choice(rows[kind]) for _, rows in sorted(by_env.items()) for kind in ("constant", "heuristic")]


def test_sample_covers_every_environment(sample):
    import coopgym

    assert sorted({r.config.env for r in sample}) == sorted(coopgym.env_ids())
    assert {r.config.policy for r in sample} >= {"heuristic/random", "heuristic/tit_for_tat"}


RULE_CHANGED = {"ReputationMarket-v0"}
#: environments whose episodes can end before the horizon
EARLY_END = {"CoalitionFormation-v0", "PartnerHoldUp-v0", "PlatformEcosystem-v0", "RecoveryRace-v0", "TrustDilemma-v0"}


def test_constant_and_heuristic_rows_re_run_to_the_stored_record(sample):
    differ = []
    for stored in sample:
        if stored.config.env in RULE_CHANGED:
            continue
        new, old = fields(ex.execute(stored.config)), fields(stored)
        measured = {k: v for k, v in old.pop("metrics").items() if v is not None}
        if stored.config.env in EARLY_END:
            measured.pop("cooperation", None)
        bad = [k for k in old if k != "versions" and new[k] != old[k]]
        bad += [f"metrics.{k}" for k, v in measured.items() if new["metrics"][k] != pytest.approx(v, rel=1e-12)]
        if bad:
            differ.append((stored.config.policy, stored.config.env, stored.config.reward, bad))
    assert not differ, differ
