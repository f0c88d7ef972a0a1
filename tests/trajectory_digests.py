"""Ground truth of every environment's trajectories: play, digest, compare.

Every environment is played under a list of option sets (the defaults, each
phase and ``phase="historical"`` where there are phases, trust off, other agent
counts, each reward mode and two mutualities between them, a non-default signal
scale, each observation preset, a short horizon, reward scaling, a parameter
override) through every interface (the batched game, ``coopgym.vector_env``,
``gymnasium.make`` focal and ``joint=True``, ``gymnasium.make_vec``, PettingZoo
parallel and AEC) with seeded random actions, for an episode and more. Each
trajectory becomes one sha256 of the raw bytes (dtype, shape and data) of
everything the interface returns, step after step.

    python tests/trajectory_digests.py record     # writes tests/data/trajectories.json
    python tests/trajectory_digests.py check      # replays it and lists the differences

The cases are stored with their digests, so a replay does not depend on how they
were chosen. ``play(case, trace=True)`` gives one digest per step (to find the
first step where two versions part).
"""
from __future__ import annotations

import hashlib
import json
import sys
import warnings
from pathlib import Path

import gymnasium
import numpy as np

import coopgym
from coopgym import rng as crng
from coopgym.envs import get_spec, make_game

DATA = Path(__file__).resolve().parent / "data" / "trajectories.json"
INTERFACES = ("game", "vector", "gym", "gym_joint", "make_vec", "parallel", "aec")
EXTRA_STEPS = 12     # steps past the first episode's horizon: every interface resets and goes on


class Digest:
    """sha256 of a stream of values: arrays by dtype, shape and raw bytes; containers in order."""

    def __init__(self, trace: bool = False):
        self.h = hashlib.sha256()
        self.trace = [] if trace else None

    def add(self, x) -> None:
        h = self.h
        if isinstance(x, dict):
            h.update(b"{%d" % len(x))
            for k in sorted(x, key=str):
                self.add(str(k))
                self.add(x[k])
        elif isinstance(x, (list, tuple)):
            h.update(b"[%d" % len(x))
            for v in x:
                self.add(v)
        elif isinstance(x, str):
            h.update(b"s" + x.encode())
        elif x is None:
            h.update(b"N")
        else:
            a = np.asarray(x)
            h.update(f"a{a.dtype.str}{a.shape}".encode())
            h.update(np.ascontiguousarray(a).tobytes())

    def step(self) -> None:
        if self.trace is not None:
            self.trace.append(self.h.copy().hexdigest()[:16])

    def result(self):
        return self.trace if self.trace is not None else self.h.hexdigest()[:32]


def _state(state) -> dict:
    return {"t": state.t, "keys": state.keys, "last_action": state.last_action, "active": state.active,
            "T": state.T, "R": state.R, "extra": dict(state.extra)}


def _uniform(gen, high, shape):
    """Actions uniform in [-5 %, 105 %] of ``high``: the clipping at both bounds is exercised."""
    return gen.uniform(-0.05, 1.05, size=shape) * high


def play_game(case, d: Digest):
    game = make_game(case["env"], **case["options"])
    B, gen = 3, np.random.default_rng(case["seed"])
    state = game.reset(crng.seed_keys(case["seed"], B))
    d.add([game.n, game.obs_dim, game.state_dim, game.horizon, game.e, game.D, game.sigma, game.m,
           bool(game.trust_on), bool(game.VARIABLE_AGENTS)])
    d.add([_state(state), game.observe(state), game.observe(state, 0), game.global_state(state), game.weights(state)])
    reset_options = {"keep_reputation": True} if "keep_reputation" in getattr(game, "RESET_OPTIONS", ()) else None
    for t in range(game.horizon + EXTRA_STEPS):
        if t == game.horizon + EXTRA_STEPS // 2:   # a second episode, from the first one's state
            state = game.reset(crng.next_keys(state.keys), reset_options, previous=state)
        state, res = game.step(state, _uniform(gen, game.e, (B, game.n)))
        d.add([_state(state), res.rewards, res.payoffs, res.actions, res.terminated, res.truncated, res.info,
               game.observe(state), game.observe(state, game.n - 1), game.global_state(state), game.weights(state)])
        d.step()


def _options(case) -> dict:
    """The case's interface options; actions in endowment units unless the case says otherwise (the
    digests were recorded when that was the interfaces' default; the draws are uniform in [0, high])."""
    return {"action_units": "endowment", **case["options"]}


def play_vector(case, d: Digest):
    env = coopgym.vector_env(case["env"], num_envs=3, **_options(case))
    gen = np.random.default_rng(case["seed"])
    d.add(env.reset(seed=case["seed"]))
    high = env.action_high
    for _ in range(env.game.horizon + EXTRA_STEPS):
        d.add(env.step(_uniform(gen, high, (3, env.n_agents))))
        d.step()


def _gym_kwargs(case):
    opts = _options(case)
    if case["interface"] == "gym_joint":
        opts["joint"] = True
    return opts


def play_gym(case, d: Digest):
    env = gymnasium.make(f"coopgym/{case['env']}", **_gym_kwargs(case))
    gen = np.random.default_rng(case["seed"])
    space = env.action_space
    d.add(env.reset(seed=case["seed"]))
    for _ in range(env.unwrapped.game.horizon + EXTRA_STEPS):
        obs, reward, term, trunc, info = env.step(_uniform(gen, space.high, space.shape).astype(np.float32))
        d.add([obs, reward, term, trunc, info])
        d.step()
        if term or trunc:
            d.add(env.reset())
    env.close()


def play_make_vec(case, d: Digest):
    opts = _options(case)
    env = gymnasium.make_vec(f"coopgym/{case['env']}", num_envs=3, **opts)
    gen = np.random.default_rng(case["seed"])
    space = env.single_action_space
    d.add(env.reset(seed=case["seed"]))
    for _ in range(env.unwrapped.game.horizon + EXTRA_STEPS):
        d.add(env.step(_uniform(gen, space.high, (3,) + space.shape).astype(np.float32)))
        d.step()
    env.close()


def play_parallel(case, d: Digest):
    env = coopgym.parallel_env(case["env"], **_options(case))
    gen = np.random.default_rng(case["seed"])
    d.add(env.reset(seed=case["seed"]))
    for _ in range(env.game.horizon + EXTRA_STEPS):
        actions = {a: _uniform(gen, env.action_space(a).high, (1,)).astype(np.float32) for a in env.agents}
        out = env.step(actions)
        d.add([list(env.agents), out, env.state()])
        d.step()
        if not env.agents:
            d.add(env.reset())


def play_aec(case, d: Digest):
    env = coopgym.aec_env(case["env"], **_options(case))
    gen = np.random.default_rng(case["seed"])
    env.reset(seed=case["seed"])
    horizon = env.unwrapped.game.horizon
    for episode, turns in enumerate((None, EXTRA_STEPS * 2)):
        if episode:
            env.reset()
        for agent in env.agent_iter(max_iter=10**7 if turns is None else turns):
            obs, reward, term, trunc, info = env.last()
            d.add([agent, obs, reward, term, trunc, info])
            action = None if term or trunc else _uniform(gen, env.action_space(agent).high, (1,)).astype(np.float32)
            env.step(action)
            d.step()
    d.add(horizon)


PLAYERS = {"game": play_game, "vector": play_vector, "gym": play_gym, "gym_joint": play_gym,
           "make_vec": play_make_vec, "parallel": play_parallel, "aec": play_aec}


def play(case: dict, trace: bool = False):
    """The digest of one case (or, with ``trace``, one digest per step)."""
    d = Digest(trace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        PLAYERS[case["interface"]](case, d)
    return d.result()


def _constructs(env_id: str, options: dict) -> bool:
    try:
        make_game(env_id, **options)
    except (ValueError, TypeError, RuntimeError):
        return False
    return True


def option_sets(env_id: str) -> list[dict]:
    """The option sets that matter for ``env_id`` (chosen on the code as recorded)."""
    spec = get_spec(env_id)
    sets = [{}, {"trust": False}, {"reward": "private"}, {"reward": "cooperative"}, {"mutuality": 0.5},
            {"mutuality": 1.5}, {"signal_scale": 1.0}, {"observation": "asymmetric"},
            {"observation": "minimal"}, {"horizon": 7}, {"reward_scale": 2.0, "normalize_reward": True}]
    lo, hi = spec.allowed_n
    counts = [n for n in (3, 4, 10) if lo <= n <= hi and n != spec.n_agents and _constructs(env_id, {"n_agents": n})]
    sets += [{"n_agents": n} for n in ([counts[0], counts[-1]] if len(counts) > 1 else counts)]
    for phase in spec.phases or {}:
        if phase != spec.default_phase:
            sets.append({"phase": phase})
    if spec.schedule:
        sets += [{"phase": "historical"}, {"phase": "historical", "trust": False},
                 {"phase": "historical", "reward": "cooperative"}]
        if spec.default_phase == "historical":
            sets.append({"phase": next(iter(spec.phases))})
    for params in ({"value": "power", "gamma": 0.4}, {"D_team": 0.3, "loyalty0": 0.7}):
        if _constructs(env_id, {"params": params}):
            sets.append({"params": params})
            break
    unique = []
    for s in sets:
        if s not in unique and _constructs(env_id, s):
            unique.append(s)
    return unique


def cases() -> list[dict]:
    out = []
    for env_id in coopgym.env_ids():
        for k, options in enumerate(option_sets(env_id)):
            for interface in INTERFACES:
                out.append({"env": env_id, "interface": interface, "options": options, "seed": 11 * k + 3})
        # the single env's co-player choices and the other action units, on the defaults
        for extra in ({"coplayers": "heuristic/random"}, {"coplayers": "constant/30"}, {"action_units": "fraction"}):
            out.append({"env": env_id, "interface": "gym", "options": extra, "seed": 5})
        out.append({"env": env_id, "interface": "make_vec", "options": {"autoreset_mode": "SameStep"}, "seed": 6})
        out.append({"env": env_id, "interface": "vector", "options": {"action_units": "fraction"}, "seed": 7})
    return out


def record(path: Path = DATA) -> None:
    rows = []
    for case in cases():
        rows.append({**case, "digest": play(case)})
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps(row, sort_keys=True) for row in rows)
    path.write_text(f'{{"about": {json.dumps(__doc__.splitlines()[0])},\n"cases": [\n{lines}\n]}}\n')
    print(f"recorded {len(rows)} trajectories to {path}")


def check(path: Path = DATA) -> list[dict]:
    """The stored cases whose replay differs (empty when every trajectory is bit-identical)."""
    rows = json.loads(path.read_text())["cases"]
    return [row for row in rows if play({k: v for k, v in row.items() if k != "digest"}) != row["digest"]]


if __name__ == "__main__":
    if sys.argv[1:] == ["record"]:
        record()
    elif sys.argv[1:] == ["check"]:
        bad = check()
        for row in bad:
            print("DIFFERS", row["env"], row["interface"], row["options"])
        print(f"{len(bad)} of {len(json.loads(DATA.read_text())['cases'])} trajectories differ")
        sys.exit(1 if bad else 0)
    else:
        sys.exit("usage: python tests/trajectory_digests.py record|check")
