"""The executor: one run config in, one run record out (train where the policy trains, then evaluate).

Evaluation plays ``config.eval_episodes`` episodes as one batch on the batched
core (the game the vector env wraps; finished games are held, not reset, so
their final trust is read off), every agent controlled by the policy, from
seeds that training never uses. The gap to the oracle compares the mean return
over agents with that of ``oracle/equilibrium`` evaluated on the same games:
gap % = (R - R_oracle) / |R_oracle| x 100 (``gap_percent``;
None where no oracle is registered).
"""
from __future__ import annotations

import contextlib
import functools
import time
from pathlib import Path

import numpy as np

from coopgym import rng
from coopgym.envs import get_spec, make_game
from coopgym.mechanisms.trust import mean_trust
from coopgym.runner.records import RunConfig, RunRecord, library_versions, utc_now
from coopgym.runner.stats import gap_percent

ORACLE = "oracle/equilibrium"
EVAL_SEED_OFFSET = 1_000_000  # evaluation games are seeded far from any training seed


def env_options(config: RunConfig) -> dict:
    """The environment keyword options of a run: its reward layer plus its extra options."""
    return {"mutuality": config.mutuality, **config.options_dict}


def evaluate(policy, env_id: str, episodes: int, seed: int, env_options: dict | None = None) -> dict:
    """Play ``episodes`` episodes at once with ``policy`` (a Policy or a registered name) controlling every agent.

    Returns ``returns`` (episodes, n) per-episode, per-agent returns; ``cooperation_rate``
    the mean of a_i / e_i over active agents and steps; ``final_trust`` the mean trust at
    the episodes' ends (None without trust); ``trajectory`` the mean trust per step over
    the episodes still running; ``lengths`` (episodes,) and ``n_agents``.
    """
    from coopgym.baselines import make_policy

    if isinstance(episodes, bool) or not isinstance(episodes, (int, np.integer)) or episodes < 1:
        raise ValueError(f"episodes must be a positive integer, got {episodes!r}")
    game = make_game(env_id, **(env_options or {}))
    policy = make_policy(policy)
    policy.bind(game)
    state = game.reset(rng.seed_keys(EVAL_SEED_OFFSET + seed, episodes))
    returns = np.zeros((episodes, game.n))
    lengths = np.zeros(episodes, dtype=int)
    running = np.ones(episodes, dtype=bool)
    final_trust = np.full(episodes, np.nan)
    coop_sum, coop_count, trajectory = 0.0, 0, []
    while running.any():
        actions = policy.act(game, state, slice(None))
        active = state.active
        state, res = game.step(state, actions)
        live = running[:, None] & active
        returns += np.where(running[:, None], res.rewards, 0.0)
        lengths += running
        coop_sum += float((res.actions / game.e)[live].sum())
        coop_count += int(live.sum())
        if game.trust_on:
            trust = mean_trust(state.T)
            trajectory.append(round(float(trust[running].mean()), 5))  # 5 decimals keep the corpus small
        finished = running & (res.terminated | res.truncated)
        if game.trust_on:
            final_trust[finished] = trust[finished]
        running &= ~finished
    if not np.isfinite(returns).all():
        raise FloatingPointError(f"{policy.name} on {env_id}: non-finite returns")
    return {"returns": returns, "cooperation_rate": coop_sum / max(coop_count, 1),
            "final_trust": float(np.nanmean(final_trust)) if game.trust_on else None,
            "trajectory": trajectory if game.trust_on else None, "lengths": lengths, "n_agents": game.n}


def gap_to_oracle(team_return: float, oracle_return: float | None) -> float | None:
    """gap % = (R - R_oracle) / |R_oracle| x 100; None without an oracle return (or when it is 0)."""
    return None if oracle_return is None else gap_percent(team_return, oracle_return)


@functools.lru_cache(maxsize=256)
def _oracle_return(env_id: str, episodes: int, seed: int, options_key: tuple) -> float | None:
    from coopgym.baselines import REGISTRY

    if ORACLE not in REGISTRY:
        return None
    result = evaluate(ORACLE, env_id, episodes, seed, dict(options_key))
    return float(result["returns"].mean())


def _options_key(options: dict) -> tuple:
    freeze = lambda v: tuple(freeze(x) for x in v) if isinstance(v, (list, tuple)) else v
    return tuple(sorted((k, freeze(v)) for k, v in options.items()))


@contextlib.contextmanager
def one_torch_thread():
    """Runs parallelise by process and the networks are tiny: inside a run torch uses one thread.
    (With several threads per worker on a busy machine every small op waits for the others:
    evaluating IPPO on SLCD took 6.4 s instead of 0.05 s with two workers running.)"""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def execute(config: RunConfig, checkpoint: str | Path | None = None) -> RunRecord:
    with one_torch_thread():
        return _execute(config, checkpoint)


def _execute(config: RunConfig, checkpoint: str | Path | None) -> RunRecord:
    """Run one config: build the policy, train it for ``config.steps`` env-steps if it trains
    (with ``seed=config.seed``), evaluate it; ``checkpoint``: where to save a trained learner."""
    from coopgym.baselines import REGISTRY, make_policy

    started = utc_now()
    spec = get_spec(config.env)
    if config.policy not in REGISTRY:
        raise ValueError(f"unknown policy {config.policy!r}; see `coopgym policies`")
    entry = REGISTRY[config.policy]
    options = env_options(config)
    policy = make_policy(config.policy, seed=config.seed) if entry.trains else make_policy(config.policy)
    curve, t0 = [], time.perf_counter()
    if entry.trains:   # even a zero budget builds the learner's networks (its untrained start)
        curve = [[int(s), float(r)] for s, r in policy.train(spec.id, config.steps, options)]
        if checkpoint is not None:
            policy.save(checkpoint)
    elif checkpoint is not None:
        raise ValueError(f"{config.policy} does not train: there is no checkpoint to save")
    train_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    result = evaluate(policy, spec.id, config.eval_episodes, config.seed, options)
    eval_seconds = time.perf_counter() - t1
    returns = result["returns"]
    oracle = _oracle_return(spec.id, config.eval_episodes, config.seed, _options_key(options))
    return RunRecord.from_config(
        config, n_agents=result["n_agents"], mean_return=returns.mean(axis=0).tolist(),
        std_return=returns.std(axis=0).tolist(), cooperation_rate=result["cooperation_rate"],
        final_trust=result["final_trust"], oracle_return=oracle,
        gap_to_oracle=gap_to_oracle(float(returns.mean()), oracle),
        learning_curve=curve, mechanism=spec.mechanism, trajectory=result["trajectory"],
        train_seconds=train_seconds, eval_seconds=eval_seconds, versions=library_versions(),
        started_at=started, finished_at=utc_now())
