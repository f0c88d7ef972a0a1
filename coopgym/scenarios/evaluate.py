"""Scoring one focal policy on scenarios: a row per scenario and seed, and aggregates per kind.

Row: the focal per-capita return (raw, and normalised between the scenario's random
focal (0) and best focal response (1), ``references``), and the run metrics of
SPEC section 10 on the same games: material welfare (sum of private payoffs),
equality (1 - Gini of private payoffs), the focal agents' cooperation (mean a / e),
the background's, and the final mean trust.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from coopgym.envs import make_game
from coopgym.policy import Policy
from coopgym.scenarios.catalogue import Scenario
from coopgym.scenarios.play import play_scenario
from coopgym.scenarios.references import references


def load_policy(name_or_checkpoint: str) -> Policy:
    """A registered reference policy by name, or a learner from a checkpoint saved by ``coopgym run --save``."""
    from coopgym.registry import REGISTRY, make_policy

    if name_or_checkpoint in REGISTRY:
        if REGISTRY[name_or_checkpoint].trains:
            raise ValueError(f"{name_or_checkpoint!r} is a learner: pass the checkpoint of a trained one "
                             f"(`coopgym run --policy {name_or_checkpoint} --env ... --steps ... --save PATH`)")
        return make_policy(name_or_checkpoint)
    if not Path(name_or_checkpoint).is_file():
        raise ValueError(f"{name_or_checkpoint!r} is neither a registered policy (see `coopgym policies`) nor a "
                         f"checkpoint file")
    return load_checkpoint(Path(name_or_checkpoint))


def load_checkpoint(path: Path) -> Policy:
    """The learner saved at ``path``, by the algorithm its header names (ValueError for any other file)."""
    from coopgym.baselines.learners.base import load

    return load(path)


def check_compatible(policy: Policy, game) -> None:
    """A checkpoint plays only the environment and agent count it was trained on (clear error otherwise)."""
    meta = getattr(policy, "meta", None)
    if not meta:
        return
    trained = str(meta.get("env_id", "?")).removeprefix("coopgym/")
    if trained != game.spec.id:
        raise ValueError(f"{policy.name} checkpoint was trained on {trained} (n={meta.get('n')}); it cannot play "
                         f"{game.spec.id}")
    if meta.get("n") != game.n or meta.get("obs_dim", game.obs_dim) != game.obs_dim:
        raise ValueError(f"{policy.name} checkpoint was trained with n={meta.get('n')}, obs_dim={meta.get('obs_dim')}; "
                         f"this {game.spec.id} game has n={game.n}, obs_dim={game.obs_dim}")


def training_partners(policy: Policy) -> set[str]:
    """Registered policies ``policy`` trained against as fixed partners (the learners' ``partners`` option)."""
    partners = (getattr(policy, "hyperparameters", None) or {}).get("partners") or {}
    return set(partners.values())


def _mean(x) -> float | None:
    x = np.asarray(x, dtype=float)
    return float(np.nanmean(x)) if np.isfinite(x).any() else None


def evaluate_scenario(policy: Policy, scenario: Scenario, seed: int = 0, episodes: int | None = None,
                      label: str | None = None) -> dict:
    """One row: ``policy`` in the focal seats of ``scenario`` on the games of ``seed``."""
    check_compatible(policy, make_game(scenario.env, reward=scenario.reward))
    refs = references(scenario)
    t0 = time.perf_counter()
    played = play_scenario(scenario, [policy], seed, episodes)
    focal = played.per_capita(scenario.focal)
    value = float(focal.mean())
    normalised, note = refs.normalise(value)
    equality = played.equality()
    if not np.isfinite(equality).any():
        note = "; ".join(filter(None, [note, "equality undefined: mean private payoff not positive"]))
    return {
        "scenario": scenario.id, "env": scenario.env, "layout": scenario.layout, "kind": scenario.kind,
        "background": scenario.background, "policy": label or policy.name, "seed": seed,
        "episodes": int(focal.shape[0]), "focal_return": value, "focal_return_std": float(focal.std()),
        "random_return": refs.random, "best_return": refs.best, "best_policy": refs.best_policy,
        "normalised": normalised, "welfare": float(played.welfare().mean()), "equality": _mean(equality),
        "cooperation": float(played.cooperation(scenario.focal).mean()),
        "background_cooperation": float(played.cooperation(scenario.background_seats).mean()),
        "final_trust": None if played.final_trust is None else _mean(played.final_trust),
        "held_out": not (training_partners(policy) & set(scenario.members)),
        "note": note, "seconds": time.perf_counter() - t0,
    }


def evaluate(policy: Policy, scenarios: Iterable[Scenario], seeds: Sequence[int] = (0,), episodes: int | None = None,
             label: str | None = None) -> list[dict]:
    """A row per scenario and seed."""
    return [evaluate_scenario(policy, s, seed, episodes, label) for s in scenarios for seed in seeds]


def summarise(rows: Sequence[dict], by: str = "kind", reps: int = 2000, seed: int = 0) -> list[dict]:
    """IQM of the normalised scores per group (``by``: "kind" or "layout"), with a stratified bootstrap 95 %
    interval over scenarios x seeds (strata: scenarios; Agarwal et al. 2021). A row without a normalised
    score (degenerate scale) is left out and counted; with one seed per scenario there is no interval."""
    from coopgym.runner.stats import interval

    out = []
    for group in dict.fromkeys(r[by] for r in rows):
        mine = [r for r in rows if r[by] == group]
        strata: dict[str, list[float]] = {}
        for r in mine:
            if r["normalised"] is not None:
                strata.setdefault(r["scenario"], []).append(r["normalised"])
        entry = {by: group, "scenarios": len({r["scenario"] for r in mine}), "scored": len(strata),
                 "iqm": None, "lower": None, "upper": None}
        if strata:
            point, lo, hi = interval(list(strata.values()), "iqm", reps=reps, seed=seed)
            one_seed = all(len(v) == 1 for v in strata.values())
            entry.update(iqm=point, lower=None if one_seed else lo, upper=None if one_seed else hi)
        out.append(entry)
    return out
