"""The learning check: do the learners learn? Every learner x three settings x seeds at a fixed budget.

A run trains the learner (default hyperparameters) for ``steps`` env-steps and evaluates its
deterministic policy with the executor's ``evaluate`` (10 episodes, the run's seed). Its
normalised score is

    (R - R_random) / (R_best - R_random),

with R the mean over agents of the per-agent evaluation return, R_random that of
``heuristic/random`` and R_best the best of every registered oracle (kind "oracle") and the
101 constant policies, all evaluated on the same seeds under the same reward: 0 is random
play, 1 the best reference. References are recomputed from the registry on every call, never
typed in. ``python -m coopgym.baselines.learners.check`` prints the README's table.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

#: (environment, reward) settings of the check: a social dilemma under private rewards, a team game
#: under the cooperative reward (all-in is optimal), a reciprocity game under the integrated reward
SETTINGS = (("SLCD-v0", "private"), ("TeamProduction-v0", "cooperative"), ("ReciprocalDilemma-v0", "integrated"))
EPISODES = 10


def mean_return(policy, env_id: str, reward: str, seed: int) -> float:
    from coopgym.runner.execute import evaluate

    return float(evaluate(policy, env_id, EPISODES, seed, {"reward": reward})["returns"].mean())


def references(env_id: str, reward: str, seed: int) -> dict:
    """R_random and R_best (with the policy that reaches it) on this setting and seed."""
    from coopgym.registry import REGISTRY

    candidates = [name for name, entry in REGISTRY.items() if entry.kind in ("oracle", "constant")]
    values = {name: mean_return(name, env_id, reward, seed) for name in candidates}
    best = max(values, key=values.get)
    return {"random": mean_return("heuristic/random", env_id, reward, seed), "best": values[best], "best_policy": best}


def run(name: str, env_id: str, reward: str, seed: int, steps: int, refs: dict | None = None) -> dict:
    """Train ``name`` on one setting and seed; its normalised score and timings."""
    import torch

    from coopgym.registry import make_policy
    from coopgym.runner.execute import one_torch_thread

    refs = refs or references(env_id, reward, seed)
    with one_torch_thread():
        learner = make_policy(name, seed=seed)
        start = time.perf_counter()
        learner.train(env_id, steps, {"reward": reward})
        seconds = time.perf_counter() - start
        with torch.no_grad():
            value = mean_return(learner, env_id, reward, seed)
    score = (value - refs["random"]) / (refs["best"] - refs["random"])
    return {"learner": name, "env": env_id, "reward": reward, "seed": seed, "steps": steps, "return": value,
            "score": score, "train_seconds": seconds, **{f"ref_{k}": v for k, v in refs.items()}}


def check(names, settings=SETTINGS, seeds=(0, 1, 2), steps: int = 200_000, workers: int = 1) -> list[dict]:
    """Every (learner, setting, seed) run, ``workers`` processes at a time."""
    jobs = [(env_id, reward, seed) for env_id, reward in settings for seed in seeds]
    refs = {job: references(*job) for job in jobs}
    tasks = [(name, *job, steps, refs[job]) for name in names for job in jobs]
    if workers <= 1:
        return [run(*task) for task in tasks]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_run, tasks))


def _run(task):
    return run(*task)


def table(rows: list[dict]) -> str:
    """The README table: per learner and setting, the mean (min) normalised score over seeds."""
    settings = list(dict.fromkeys((r["env"], r["reward"]) for r in rows))
    names = list(dict.fromkeys(r["learner"] for r in rows))
    head = "| learner | " + " | ".join(f"{env} {reward}" for env, reward in settings) + " |"
    lines = [head, "|---" * (len(settings) + 1) + "|"]
    for name in names:
        cells = []
        for env, reward in settings:
            scores = [r["score"] for r in rows if r["learner"] == name and (r["env"], r["reward"]) == (env, reward)]
            cells.append(f"{np.mean(scores):.2f} ({np.min(scores):.2f})" if scores else "")
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    from coopgym.registry import LEARNERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", default="all", help="comma-separated names, or 'all'")
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--settings", default="all", help="comma-separated env:reward pairs, or 'all'")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", help="also write every run's record to this file")
    args = parser.parse_args(argv)
    names = list(LEARNERS) if args.learners == "all" else args.learners.split(",")
    settings = SETTINGS if args.settings == "all" else [tuple(s.split(":")) for s in args.settings.split(",")]
    rows = check(names, settings, [int(s) for s in args.seeds.split(",")], args.steps, args.workers)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
