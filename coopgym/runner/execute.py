"""The executor: one run config in, one run record out (train where the policy trains, then evaluate).

Evaluation plays ``config.eval_episodes`` episodes as one batch on the batched
core (the game the vector env wraps; finished games are held, not reset, so
their final trust is read off), every agent controlled by the policy, from
seeds that training never uses, and computes the run metrics of
:mod:`coopgym.runner.metrics`. A learner with evaluation points
(``config.eval_at``) is evaluated the same way inside its training run, on the
same evaluation games, at each of those env-step counts: its learning curve.
"""
from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np

from coopgym import rng
from coopgym.envs import get_spec, make_game
from coopgym.mechanisms.trust import mean_trust
from coopgym.runner.metrics import Episodes, run_metrics
from coopgym.runner.records import SCENARIO_FIELDS, RunConfig, RunRecord, library_versions, utc_now

EVAL_SEED_OFFSET = 1_000_000  # evaluation games are seeded far from any training seed


def env_options(config: RunConfig) -> dict:
    """The environment keyword options of a run: its reward layer plus its extra options."""
    return {"mutuality": config.mutuality, **config.options_dict}


def evaluate(policy, env_id: str, episodes: int, seed: int, env_options: dict | None = None) -> dict:
    """Play ``episodes`` episodes at once with ``policy`` (a Policy or a registered name) controlling every agent.

    Returns ``returns`` (episodes, n) per-episode, per-agent returns; ``episodes`` the
    :class:`~coopgym.runner.metrics.Episodes` totals; ``metrics`` the run metrics;
    ``trajectory`` the mean trust per step over the episodes still running (None without
    trust); ``lengths`` (episodes,) and ``n_agents``.
    """
    from coopgym.registry import make_policy

    if isinstance(episodes, bool) or not isinstance(episodes, (int, np.integer)) or episodes < 1:
        raise ValueError(f"episodes must be a positive integer, got {episodes!r}")
    game = make_game(env_id, **(env_options or {}))
    policy = make_policy(policy)
    policy.bind(game)
    state = game.reset(rng.seed_keys(EVAL_SEED_OFFSET + seed, episodes))
    totals = Episodes.zeros(episodes, game.n, game.trust_on)
    running = np.ones(episodes, dtype=bool)
    trajectory = []
    while running.any():
        actions = policy.act(game, state, slice(None))
        active = state.active
        state, res = game.step(state, actions)
        totals.add_step(running, active, res.rewards, res.payoffs, res.actions / game.e)
        finished = running & (res.terminated | res.truncated)
        if game.trust_on:
            trust = mean_trust(state.T)
            trajectory.append(round(float(trust[running].mean()), 5))  # 5 decimals keep the corpus small
            totals.final_trust[finished] = trust[finished]
        running &= ~finished
    if not (np.isfinite(totals.rewards).all() and np.isfinite(totals.payoffs).all()):
        raise FloatingPointError(f"{policy.name} on {env_id}: non-finite returns or payoffs")
    return {"returns": totals.rewards, "episodes": totals, "metrics": run_metrics(totals),
            "trajectory": trajectory if game.trust_on else None, "lengths": totals.lengths, "n_agents": game.n}


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
    (with ``seed=config.seed``, evaluated at ``config.eval_at``), evaluate it; ``checkpoint``:
    where to save a trained learner."""
    from coopgym.registry import REGISTRY, make_policy

    started = utc_now()
    spec = get_spec(config.env)
    if config.policy not in REGISTRY:
        raise ValueError(f"unknown policy {config.policy!r}; see `coopgym policies`")
    entry = REGISTRY[config.policy]
    options = env_options(config)
    if not entry.trains and (checkpoint is not None or config.eval_at):
        what = "checkpoint to save" if checkpoint is not None else "training run to evaluate at eval_at"
        raise ValueError(f"{config.policy} does not train: there is no {what}")
    policy = make_policy(config.policy, seed=config.seed) if entry.trains else make_policy(config.policy)

    curve_seconds = [0.0]

    def evaluate_now(learner, env_steps: int) -> dict:
        """The metrics of the current policy on the run's evaluation games (a learning-curve point)."""
        t = time.perf_counter()
        metrics = evaluate(learner, spec.id, config.eval_episodes, config.seed, options)["metrics"]
        curve_seconds[0] += time.perf_counter() - t
        return metrics

    curve, evaluations, t0 = [], [], time.perf_counter()
    if entry.trains:   # even a zero budget builds the learner's networks (its untrained start)
        curve = policy.train(spec.id, config.steps, options, eval_at=config.eval_at, evaluate=evaluate_now)
        curve = [[int(s), float(r)] for s, r in curve]
        evaluations = [{"steps": int(k), **metrics} for k, metrics in policy.evaluations]
        if checkpoint is not None:
            policy.save(checkpoint)
    train_seconds = time.perf_counter() - t0 - curve_seconds[0]   # evaluations count as evaluation time
    t1 = time.perf_counter()
    result = evaluate(policy, spec.id, config.eval_episodes, config.seed, options)
    eval_seconds = time.perf_counter() - t1 + curve_seconds[0]
    returns = result["returns"]
    scenario_scores = []
    if config.scenarios:
        from coopgym.scenarios.catalogue import get_scenario
        from coopgym.scenarios.evaluate import evaluate_scenario

        t2 = time.perf_counter()
        scenario_scores = [{k: row[k] for k in SCENARIO_FIELDS}
                           for row in (evaluate_scenario(policy, get_scenario(s), config.seed)
                                       for s in config.scenarios)]
        eval_seconds += time.perf_counter() - t2
    return RunRecord.from_config(
        config, n_agents=result["n_agents"], mean_return=returns.mean(axis=0).tolist(),
        std_return=returns.std(axis=0).tolist(), metrics=result["metrics"], evaluations=evaluations,
        learning_curve=curve, mechanism=spec.mechanism, trajectory=result["trajectory"],
        train_seconds=train_seconds, eval_seconds=eval_seconds, versions=library_versions(),
        scenario_scores=scenario_scores, started_at=started, finished_at=utc_now())
