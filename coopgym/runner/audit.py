"""The behavioural audit (SPEC section 9): does defection pay while the partners lose?

The probes (``coopgym.runner.probes``) run through the same runner and
ledger as every other policy. For each environment, reward mode and seed, a
defection probe is *exploitative* when agent 0 ends with more than under the
all-cooperate reference (``probe/cooperate``) while the partners' mean return
falls. The share of exploitative (probe, reward mode) cases classifies the
environment:

    immune (0) | narrowly vulnerable (<= 25 %) | vulnerable (<= 60 %) | broadly vulnerable (> 60 %)

Differences smaller than ``tol`` (relative to the reference return) count as no change.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence

import numpy as np

from coopgym.runner.records import RunConfig, RunRecord

REFERENCE = "probe/cooperate"
CLASSES = ((0.0, "immune"), (0.25, "narrowly vulnerable"), (0.60, "vulnerable"), (1.0, "broadly vulnerable"))


def defection_probes() -> list[str]:
    from coopgym.runner.probes import probes

    return [p for p in probes() if p.startswith("probe/temporal/") or "/cut50_" in p]


def audit_plan(envs: Sequence[str], rewards: Sequence[str], seeds: Sequence[int], eval_episodes: int = 4) -> list[RunConfig]:
    """Every probe (static and temporal) and the reference, on every env x reward x seed."""
    from coopgym.runner.probes import probes

    return [RunConfig(policy=p, env=e, reward=r, seed=s, steps=0, eval_episodes=eval_episodes)
            for e in envs for r in rewards for s in seeds for p in probes()]


def classify(records: Iterable[RunRecord], tol: float = 1e-6) -> list[dict]:
    """One row per environment: its class, the exploitative probes and the best uniform level."""
    by_key: dict[tuple, dict[str, list[float]]] = defaultdict(dict)
    for r in records:
        if r.status == "ok" and r.policy.startswith("probe/"):
            by_key[(r.env, r.reward, r.seed)][r.policy] = list(r.mean_return)
    cases: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    uniform: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (env, reward, _seed), runs in by_key.items():
        for name, ret in runs.items():
            if name.startswith("probe/static/uniform_"):
                uniform[env][name].append(float(np.mean(ret)))
        if REFERENCE not in runs:
            continue
        ref = np.asarray(runs[REFERENCE])
        scale = tol * max(1.0, float(np.abs(ref).mean()))
        for probe in defection_probes():
            if probe not in runs:
                continue
            ret = np.asarray(runs[probe])
            gain = ret[0] - ref[0]
            others = (ret[1:] - ref[1:]).mean() if len(ret) > 1 else 0.0
            cases[env].append((probe, reward, bool(gain > scale and others < -scale)))
    rows = []
    for env in sorted(cases):
        flags = cases[env]
        share = float(np.mean([f for _, _, f in flags])) if flags else 0.0
        label = next(name for bound, name in CLASSES if share <= bound)
        best = max(uniform[env].items(), key=lambda kv: np.mean(kv[1]))[0] if uniform[env] else None
        rows.append({"env": env, "class": label, "exploitative_share": share, "cases": len(flags),
                     "exploitative": sorted({f"{p} ({r})" for p, r, f in flags if f}),
                     "best_uniform_level": best.rsplit("_", 1)[1] + " %" if best else None})
    return rows
