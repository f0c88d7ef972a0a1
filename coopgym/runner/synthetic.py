"""A deterministic stand-in for the executor: numbers are a pure function of the config.

Used where the real executor is not the point: killing a sweep, comparing
backends, measuring the runner's overhead. ``COOPGYM_SYNTHETIC_SECONDS``
(environment variable) makes each run busy-wait that long; a policy whose
name contains ``fail`` raises, to exercise failure recording, and one whose
name contains ``crash`` kills its process (use it with a process pool only).
"""
from __future__ import annotations

import hashlib
import os
import time

import numpy as np

from .metrics import gini
from .records import RunConfig, RunRecord


def synthetic_run(config: RunConfig) -> RunRecord:
    """A plausible run record drawn from a generator seeded by the config hash."""
    seconds = float(os.environ.get("COOPGYM_SYNTHETIC_SECONDS", "0") or 0)
    t0 = time.perf_counter()
    if "crash" in config.policy:
        os._exit(70)  # a worker dying abruptly (segfault, OOM kill)
    if "fail" in config.policy:
        raise RuntimeError(f"synthetic failure of {config.policy} on {config.env}")
    rng = np.random.default_rng(int(config.config_hash[:16], 16))
    env_code = int(hashlib.sha256(config.env.encode()).hexdigest()[:8], 16)
    n = 2 + env_code % 3
    oracle = 60.0 + 10.0 * config.mutuality + env_code % 7
    level = config.policy.rsplit("/", 1)[-1]
    skill = int(level) / 100 if level.isdigit() else 0.2 if "random" in config.policy else 0.8
    base = oracle * (0.5 + 0.5 * skill)
    mean = (base + rng.normal(0.0, 5.0, n)).round(6)
    curve = [[int(s), float(round(base * (1 - np.exp(-3 * s / max(config.steps, 1))), 6))]
             for s in np.linspace(0, config.steps, 5)] if config.steps else []
    trust = np.clip(0.5 + np.cumsum(rng.normal(0.002, 0.01, 20)), 0, 1).round(6).tolist()
    payoffs = mean * (1.0 - 0.2 * config.mutuality / 2) + rng.uniform(0, 1, n)
    metrics = {"return": float(mean.mean()), "welfare": float(payoffs.sum()),
               "equality": float(1.0 - gini(payoffs[None])[0]), "cooperation": round(float(rng.uniform(0.2, 0.8)), 6),
               "trust": trust[-1]}
    evaluations = [{"steps": int(k), **{m: v * (0.5 + 0.5 * k / max(config.steps, 1)) if isinstance(v, float) else v
                                        for m, v in metrics.items()}} for k in config.eval_at]
    while time.perf_counter() - t0 < seconds:  # busy-wait: a CPU-bound run of known cost
        pass
    return RunRecord.from_config(
        config, n_agents=n, mean_return=mean.tolist(), std_return=rng.uniform(0, 3, n).round(6).tolist(),
        metrics=metrics, evaluations=evaluations, learning_curve=curve,
        mechanism=f"TR-{1 + env_code // 3 % 4}", trajectory=trust,
        train_seconds=0.0, eval_seconds=time.perf_counter() - t0)
