"""The executor: one run config in, one run record out (train where the policy trains, then evaluate).

Evaluation plays ``config.eval_episodes`` episodes as one batch on the batched
core, every agent controlled by the policy, from seeds that training never
uses. The gap to the oracle compares the mean return over agents with that of
``oracle/equilibrium`` evaluated on the same games.
"""
from __future__ import annotations

import functools
import time

import numpy as np

from coopgym import rng
from coopgym.envs import get_spec, make_game
from coopgym.mechanisms.trust import mean_trust
from coopgym.runner.records import RunConfig, RunRecord
from coopgym.runner.stats import gap_percent

ORACLE = "oracle/equilibrium"
EVAL_SEED_OFFSET = 1_000_000  # evaluation games are seeded far from any training seed


def env_options(config: RunConfig) -> dict:
    """The environment keyword options of a run: its reward layer plus its extra options."""
    return {"mutuality": config.mutuality, **config.options_dict}


def evaluate(policy, env_id: str, episodes: int, seed: int, options: dict | None = None) -> dict:
    """Play ``episodes`` episodes at once with ``policy`` controlling every agent.

    Returns per-episode, per-agent returns (episodes, n), the mean cooperation
    rate a / e over active agents and steps, the mean trust at each episode's
    end, and the mean trust per step (over the episodes still running).
    """
    game = make_game(env_id, **(options or {}))
    policy.bind(game)
    state = game.reset(rng.seed_keys(EVAL_SEED_OFFSET + seed, episodes))
    returns = np.zeros((episodes, game.n))
    running = np.ones(episodes, dtype=bool)
    final_trust = np.full(episodes, np.nan)
    coop_sum, coop_count, trajectory = 0.0, 0, []
    while running.any():
        actions = policy.act(game, state, slice(None))
        active = state.active
        state, res = game.step(state, actions)
        live = running[:, None] & active
        returns += np.where(running[:, None], res.rewards, 0.0)
        coop_sum += float((res.actions / game.e)[live].sum())
        coop_count += int(live.sum())
        if game.trust_on:
            trust = mean_trust(state.T)
            trajectory.append(round(float(trust[running].mean()), 5))  # 5 decimals keep the corpus small
        finished = running & (res.terminated | res.truncated)
        if game.trust_on:
            final_trust[finished] = trust[finished]
        running &= ~finished
    return {"returns": returns, "cooperation_rate": coop_sum / max(coop_count, 1),
            "final_trust": float(np.nanmean(final_trust)) if game.trust_on else None,
            "trajectory": trajectory if game.trust_on else None, "n_agents": game.n}


@functools.lru_cache(maxsize=256)
def _oracle_return(env_id: str, episodes: int, seed: int, options_key: tuple) -> float | None:
    from coopgym.baselines import REGISTRY, make_policy

    if ORACLE not in REGISTRY:
        return None
    result = evaluate(make_policy(ORACLE), env_id, episodes, seed, dict(options_key))
    return float(result["returns"].mean())


def execute(config: RunConfig) -> RunRecord:
    """Run one config: build the policy, train it for ``config.steps`` if it trains, evaluate it."""
    from coopgym.baselines import REGISTRY, make_policy

    spec = get_spec(config.env)
    if config.policy not in REGISTRY:
        raise ValueError(f"unknown policy {config.policy!r}")
    entry = REGISTRY[config.policy]
    options = env_options(config)
    policy = make_policy(config.policy, seed=config.seed) if entry.trains else make_policy(config.policy)
    curve, t0 = [], time.perf_counter()
    if entry.trains and config.steps > 0:
        curve = [[int(s), float(r)] for s, r in policy.train(spec.id, config.steps, options)]
    train_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    result = evaluate(policy, spec.id, config.eval_episodes, config.seed, options)
    eval_seconds = time.perf_counter() - t1
    returns = result["returns"]
    team = float(returns.mean())
    oracle = _oracle_return(spec.id, config.eval_episodes, config.seed, tuple(sorted(options.items())))
    return RunRecord.from_config(
        config, n_agents=result["n_agents"], mean_return=returns.mean(axis=0).tolist(),
        std_return=returns.std(axis=0).tolist(), cooperation_rate=result["cooperation_rate"],
        final_trust=result["final_trust"], oracle_return=oracle,
        gap_to_oracle=None if oracle is None else gap_percent(team, oracle),
        learning_curve=curve, mechanism=spec.mechanism, trajectory=result["trajectory"],
        train_seconds=train_seconds, eval_seconds=eval_seconds)
