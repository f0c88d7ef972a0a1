"""Speed measurements behind ``coopgym bench``: every figure is measured side by side in one run.

Each interface is timed beside a *bare numpy kernel*: the same step math (TR-2
trust update, TR-1 payoff, reward layer) written straight through in numpy with
no adapter, state object or validation, timed in turns with the envs
(``side_by_side``). The ratio kernel / env is what the interface costs beyond
plain numpy; the game runs its arithmetic in compiled loops (``mechanisms``),
which is how an env can come out ahead of the kernel (a ratio below 1) when the
batch is large. ``tests/test_bench.py`` checks that the kernel computes exactly
what the game computes, so the comparison is honest.
"""
from __future__ import annotations

import time
from typing import Callable

import gymnasium
import numpy as np

import coopgym
from coopgym.envs import make_game


def rate(step: Callable[[], object], work: int, min_seconds: float = 0.9, repeats: int = 9) -> float:
    """Work units per second of ``step`` (see ``side_by_side``)."""
    return side_by_side({"step": (step, work)}, min_seconds, repeats)["step"]


def side_by_side(steps: dict[str, tuple[Callable[[], object], int]], min_seconds: float = 0.9,
                 repeats: int = 9) -> dict[str, float]:
    """Work units per second of each ``(step, work)``: the best of ``repeats`` windows of
    ``min_seconds / repeats`` each, as ``timeit`` advises (the slower windows measure the
    machine's other load, not the code). The windows take turns, every step's window r
    before any step's window r + 1: on a shared VM that load comes and goes within a
    second, and taking turns lets it hit the figures being compared alike."""
    for step, _ in steps.values():
        step()  # warm-up
    best = dict.fromkeys(steps, 0.0)
    for _ in range(repeats):
        for name, (step, work) in steps.items():
            best[name] = max(best[name], work * _calls_per_second(step, min_seconds / repeats))
    return best


def _calls_per_second(step: Callable[[], object], seconds: float, max_calls: int = 1_000_000) -> float:
    calls, batch, start = 0, 1, time.perf_counter()
    while True:
        for _ in range(batch):
            step()
        calls += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds or calls >= max_calls:
            return calls / elapsed
        batch = min(batch * 2, 4096)


def trust_kernel(game, N: int):
    """The TR-1/TR-2 step of ``game`` as bare numpy for N games: (T, R, a) -> (T', R', rewards); n <= 8.

    Its constants are shaped like the batch, as the game's own are (``Game.constants``),
    so the kernel gets numpy's fast path too and the ratio env / kernel is only the interface."""
    p = game.trust_params
    n = game.n
    row, pairs = (lambda v: np.broadcast_to(v, (N, n))), (lambda v: np.broadcast_to(v, (N, n, n)))
    e, b, signal_gain, alpha = row(game.e), row(game.baseline), row(p.kappa / game.sigma), row(game.alpha)
    off = 1.0 - np.eye(n)
    build, erode = pairs(p.lambda_plus * off), pairs(p.lambda_minus * (1.0 + p.xi * game.D) * off)
    damage, keep, D = pairs(p.mu_R * off), pairs(np.full((n, n), 1.0 - p.delta_R)), pairs(game.D)
    gamma, theta, m = game.params.gamma, game.params.theta, game.m
    columns = np.tile(np.arange(n), n)
    zero, one, floor = np.array(0.0), np.array(1.0), np.array(1e-10)   # 0-d arrays, as in the game

    def step(T, R, a):
        a = np.minimum(np.maximum(a, zero), e)
        s = np.tanh((a - b) * signal_gain).take(columns, axis=1).reshape(N, n, n)
        c = one - R
        neg = s < zero
        T2 = np.maximum(np.minimum(T + s * np.where(neg, T * erode, build * np.maximum(c - T, zero)), c), zero)
        R2 = np.where(neg, R - s * damage * c, R * keep)
        g = np.multiply.reduce(a * (a > floor), axis=1) ** (1.0 / n)
        pi = e - a + theta * np.log1p(a) + alpha * (gamma * g)[:, None]
        r = pi + m * ((D * np.minimum(T2, one - R2)) @ pi[:, :, None])[:, :, 0]
        return T2, R2, r

    return step


def _kernel_step(env_id: str, N: int, n_agents: int | None = None, **options) -> Callable[[], object]:
    """One call of the bare kernel on N games of ``env_id`` (timed beside the envs)."""
    game = make_game(env_id, **({"n_agents": n_agents} if n_agents else {}), **options)
    state = game.reset(np.arange(N, dtype=np.uint64))
    kernel, a = trust_kernel(game, N), np.tile(game.e * 0.4, (N, 1))
    T, R = state.T, state.R
    return lambda: kernel(T, R, a)


def single_env_rates(env_id: str = "SLCD-v0") -> dict:
    """Steps/s of gymnasium.make(...) and of the PettingZoo parallel env, beside the kernel at N = 1."""
    env = gymnasium.make(f"coopgym/{env_id}")
    env.reset(seed=0)
    action = np.array([40.0], dtype=np.float32)

    def gym_step():
        *_, term, trunc, _ = env.step(action)
        if term or trunc:
            env.reset()

    par = coopgym.parallel_env(env_id)
    par.reset(seed=0)
    actions = {a: np.array([40.0], dtype=np.float32) for a in par.possible_agents}

    def par_step():
        par.step(actions)
        if not par.agents:
            par.reset()

    # 25 windows of 0.1 s each: a single step is the figure the host's load disturbs most
    r = side_by_side({"kernel": (_kernel_step(env_id, 1), 1), "gym": (gym_step, 1), "par": (par_step, 1)},
                     min_seconds=2.5, repeats=25)
    kernel, gym_rate, par_rate = r["kernel"], r["gym"], r["par"]
    return {"env": env_id, "kernel_steps_per_s": kernel,
            "gymnasium_steps_per_s": gym_rate, "gymnasium_ratio": kernel / gym_rate,
            "pettingzoo_parallel_steps_per_s": par_rate, "pettingzoo_ratio": kernel / par_rate}


def vector_rates(env_id: str = "TrustDilemma-v0", sizes=(1, 16, 256, 4096, 65536), min_seconds=0.9) -> list[dict]:
    """Env-steps/s of the batched envs at each N, beside the kernel at the same N."""
    rows = []
    for N in sizes:
        multi = coopgym.vector_env(env_id, num_envs=N)
        multi.reset(seed=0)
        a = np.tile(multi.game.e * 0.4, (N, 1))
        gvec = gymnasium.make_vec(f"coopgym/{env_id}", num_envs=N, coplayers="constant/40")
        gvec.reset(seed=0)
        ga = np.full((N, 1), 40.0, dtype=np.float32)
        r = side_by_side({"kernel": (_kernel_step(env_id, N), N), "multi": (lambda: multi.step(a), N),
                          "gym": (lambda: gvec.step(ga), N)}, min_seconds)
        kernel, multi_rate, gym_rate = r["kernel"], r["multi"], r["gym"]
        rows.append({"env": env_id, "N": N, "kernel_env_steps_per_s": kernel,
                     "multi_agent_vector_env_steps_per_s": multi_rate, "multi_agent_ratio": kernel / multi_rate,
                     "gymnasium_vector_env_steps_per_s": gym_rate, "gymnasium_vector_ratio": kernel / gym_rate})
    return rows


def agent_scaling(env_id: str = "TrustDilemma-v0", agents=(2, 5, 10, 20, 40), N: int = 256) -> list[dict]:
    """Cost per env-step as n grows, and that cost per trust pair n (n - 1): flat means O(n^2)."""
    rows = []
    for n in agents:
        multi = coopgym.vector_env(env_id, num_envs=N, n_agents=n)
        multi.reset(seed=0)
        a = np.tile(multi.game.e * 0.4, (N, 1))
        r = rate(lambda: multi.step(a), N)
        micro = 1e6 / r
        rows.append({"env": env_id, "n": n, "env_steps_per_s": r, "us_per_env_step": micro,
                     "ns_per_trust_pair": 1e3 * micro / (n * (n - 1))})
    return rows


def env_rates(env_ids, N: int = 4096, **options) -> list[dict]:
    """Env-steps/s of the multi-agent vector env for a list of environments (any mechanism)."""
    rows = []
    for env_id in env_ids:
        multi = coopgym.vector_env(env_id, num_envs=N, **options)
        multi.reset(seed=0)
        a = np.tile(multi.game.e * 0.4, (N, 1))
        rows.append({"env": env_id, "n": multi.n_agents, "N": N, "env_steps_per_s": rate(lambda: multi.step(a), N)})
    return rows


def policy_rates(names=None, steps: int = 100_000, env_id: str = "SLCD-v0", options: dict | None = None,
                 repeats: int = 3) -> list[dict]:
    """Training throughput (env-steps/s) of each learner on ``env_id`` at its default settings, one torch
    thread, beside the bare environment measured in the same run.

    Each learner trains ``repeats`` times from scratch; the figure is the fastest run, as ``timeit``
    advises and as the environments' own windows are taken (the slower runs measure the machine's
    other load), with the median beside it. The bare figure is the multi-agent vector env stepping
    the learner's own number of games with fixed actions, timed just before the first run and just
    after the last (the mean of the two): the ratio bare / learner is what learning costs beyond
    playing, and it is what a busy machine disturbs least. A short untimed run first keeps imports
    and first calls out of the figure; the timed runs include everything else (building the networks
    too)."""
    import torch

    from coopgym.registry import REGISTRY, make_policy

    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a whole number of training runs >= 1, got {repeats!r}")
    names = names or [n for n, e in REGISTRY.items() if e.trains]
    options = options or {}
    rows, threads = [], torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name in names:
            if name not in REGISTRY or not REGISTRY[name].trains:
                raise ValueError(f"{name!r} is not a registered learner; see `coopgym policies --kind learner`")
            make_policy(name, seed=1).train(env_id, 2_048, options)
            num_envs = int(make_policy(name, seed=0).hyperparameters["num_envs"])
            multi = coopgym.vector_env(env_id, num_envs=num_envs, action_units="fraction", **options)
            multi.reset(seed=0)
            half = np.full((num_envs, multi.n_agents), 0.5)
            before = rate(lambda: multi.step(half), num_envs, min_seconds=0.5)
            seconds = []
            for _ in range(repeats):
                learner = make_policy(name, seed=0)
                start = time.perf_counter()
                learner.train(env_id, steps, options)
                seconds.append(time.perf_counter() - start)
            bare = (before + rate(lambda: multi.step(half), num_envs, min_seconds=0.5)) / 2
            rows.append({"policy": name, "env": env_id, "num_envs": num_envs, "steps": steps, "repeats": repeats,
                         "seconds": min(seconds), "env_steps_per_s": steps / min(seconds),
                         "median_env_steps_per_s": steps / float(np.median(seconds)),
                         "bare_env_steps_per_s": bare, "ratio": bare * min(seconds) / steps})
    finally:
        torch.set_num_threads(threads)
    return rows
