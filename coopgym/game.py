"""The batched game: params and stages as data, one pure, batch-first step.

    state  = GameState of arrays with a leading batch axis B
    step(params, state, actions[B, n]) -> (new_state, StepResult of arrays)

A game is its spec's stages (``coopgym.stages``: the rules, run in one documented
order), its family's params record (``coopgym.params``: the numbers, frozen and
hashable), the phase plan (``coopgym.phases``: which params hold at which step)
and the reward layer's mutuality m. ``Game.step`` composes them; no environment
overrides anything. Every interface (Gymnasium, PettingZoo, vector) is a thin
adapter over this one step, written once for B = 1 and B = 65,536 alike.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coopgym.compiled import compiled
from coopgym.mechanisms import trust as tr
from coopgym.phases import PhasePlan, resolve
from coopgym.rewards import resolve_mutuality, rewards
from coopgym.spec import OBSERVATIONS, EnvSpec


@dataclass(slots=True)
class GameState:
    """Everything that changes during an episode, batch-first. Arrays are never mutated in place."""

    t: np.ndarray            # (B,) steps taken this episode
    keys: np.ndarray         # (B,) uint64 random-stream keys
    last_action: np.ndarray  # (B, n) actions of the previous step (0 at reset)
    active: np.ndarray       # (B, n) bool: agents in the game (phases may add or remove agents)
    T: np.ndarray | None = None   # (B, n, n) trust
    R: np.ndarray | None = None   # (B, n, n) reputation damage
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # the state stages' state (loyalty, memory, ...)

    @property
    def batch(self) -> int:
        return self.t.shape[0]

    def where(self, mask: np.ndarray, other: "GameState") -> "GameState":
        """Rows of ``other`` where mask (B,) is true, rows of self elsewhere."""
        def pick(a, b):
            if a is None:
                return None
            m = mask.reshape(mask.shape + (1,) * (a.ndim - 1))
            return np.where(m, b, a)
        return GameState(
            t=pick(self.t, other.t), keys=pick(self.keys, other.keys),
            last_action=pick(self.last_action, other.last_action), active=pick(self.active, other.active),
            T=pick(self.T, other.T), R=pick(self.R, other.R),
            extra={k: pick(v, other.extra[k]) for k, v in self.extra.items()},
        )

    def rows(self, index) -> "GameState":
        """The sub-batch at ``index`` (a slice, an integer array or a mask)."""
        sub = (lambda a: None if a is None else a[index])
        return GameState(sub(self.t), sub(self.keys), sub(self.last_action), sub(self.active),
                         sub(self.T), sub(self.R), {k: v[index] for k, v in self.extra.items()})


@dataclass(slots=True)
class StepResult:
    rewards: np.ndarray      # (B, n) per-agent rewards from the reward layer
    payoffs: np.ndarray      # (B, n) private payoffs pi
    actions: np.ndarray      # (B, n) the actions after clipping (and shocks)
    terminated: np.ndarray   # (B,) bool
    truncated: np.ndarray    # (B,) bool
    info: dict[str, np.ndarray] = field(default_factory=dict)


class Constants:
    """The step constants of a batch (``Game.constants``): the params record's numbers, its per-agent
    arrays as (B, n) and (B, n, n) views, the TR-2 ``signal_gain`` (kappa / sigma) and pair ``rates``,
    ``one`` and ``horizon`` (B,) int64, the schedule's ``start``, and what stages add (``Stage.setup``)."""

    def __repr__(self) -> str:
        return f"<Constants {sorted(vars(self))}>"


class Game:
    """One environment's rules on a batch of games (SPEC sections 1-6).

    ``make_game(id, **options)`` builds one; ``reset``, ``step``, ``observe`` and
    ``global_state`` are what every interface calls. Attributes: ``spec``, ``params``
    (the family's record at the first step), ``plan`` (the phases and their records),
    ``stages``, ``n``, ``horizon``, ``m`` (mutuality), ``trust_on``, ``trust_params``,
    the record's per-agent arrays (``e``, ``D``, ``baseline``, ``sigma``, and ``alpha``
    in the TR-1 families), ``VARIABLE_AGENTS``, ``RESET_OPTIONS``.
    """

    def __init__(self, spec: EnvSpec, *, n_agents: int | None = None, horizon: int | None = None,
                 phase: str | None = None, trust: bool = True, signal_scale: float | str | None = None,
                 reward: str | None = None, mutuality: float | None = None, observation: str = "full",
                 params: dict[str, Any] | None = None, reward_scale: float = 1.0,
                 normalize_reward: bool = False):
        self.spec = spec
        layout = resolve(spec, phase, n_agents, horizon)
        self.phase, self.n, self.horizon = layout.phase, layout.n, layout.horizon
        if observation not in OBSERVATIONS:
            raise ValueError(f"unknown observation {observation!r}; choose one of {list(OBSERVATIONS)}")
        self.observation = observation
        self.m = resolve_mutuality(reward, mutuality)
        if not isinstance(trust, (bool, np.bool_)):
            raise TypeError(f"trust must be True or False, got {trust!r}")
        self.reward_scale = float(reward_scale)
        if not (np.isfinite(self.reward_scale) and self.reward_scale > 0):
            raise ValueError(f"reward_scale must be a positive number, got {reward_scale!r}")
        self.normalize_reward = bool(normalize_reward)
        records = tuple(self._build(over, params, trust, signal_scale) for over in layout.overrides)
        self.plan = PhasePlan(layout.names, layout.ends, layout.active, records, layout.start)
        self.params = records[0]
        for name, value in self.params.arrays().items():    # e, D, baseline, sigma (alpha): read-only arrays
            value.flags.writeable = False
            setattr(self, name, value)
        self.trust_params, self.trust_on = self.params.trust, self.params.trust_on
        self.stages = spec.stages
        self.VARIABLE_AGENTS = spec.variable_agents
        self.RESET_OPTIONS = tuple(o for s in self.stages for o in s.reset_options)
        of = lambda kind: [s.run for s in self.stages if s.kind == kind and s.run is not None]
        self._shocks, self._adjust, self._updates, self._ends = of("shock"), of("adjust"), of("state"), of("end")
        self._trust = of("trust") if self.trust_on else []
        (self._payoff,), (self._weights,) = of("payoff"), of("weights")
        self._own = (of("own") or [None])[0]
        self._inits = [s.init for s in self.stages if s.init is not None]
        self._shared = [s.shared for s in self.stages if s.shared is not None]
        self._per_agent_features = [s.per_agent for s in self.stages if s.per_agent is not None]
        self._has_features = bool(self._shared or self._per_agent_features or self.VARIABLE_AGENTS)
        self._per_agent, self._fixed, self._phased = self._constant_tables()
        self._by_batch: dict[int, Constants] = {}
        self._active_counts = np.array(self.plan.active)
        self._obs_index = self._observation_layout()

    def _build(self, overrides: dict, params: dict | None, trust, signal_scale):
        """The family's record of spec defaults < phase overrides < the user's ``params``."""
        spec, family = self.spec, self.spec.family
        merged = {**spec.params, **overrides}
        unknown = set(merged) - set(family.defaults)
        if unknown:  # a spec that names a parameter its family does not read is a bug in the spec
            raise RuntimeError(f"{spec.id}: parameters {sorted(unknown)} are not read by the {family.name} family")
        if params:
            bad = sorted(set(params) - set(family.defaults))
            if bad:
                raise ValueError(f"{spec.id}: unknown parameter(s) {bad}; known: {sorted(family.defaults)}")
            merged.update(params)
        values = {k: merged.get(k, default) for k, default in family.defaults.items()}
        values = {k: (v(self.n) if callable(v) and not isinstance(v, type) else v) for k, v in values.items()}
        return family.build(values, self.n, trust, signal_scale)

    def _constant_tables(self):
        """(per-agent arrays, fixed values, phase tables) of ``Constants``; see ``constants``."""
        p = self.params
        per_agent = dict(p.arrays())
        fixed: dict[str, Any] = {f: v for f, v in vars_of(p).items() if isinstance(v, (bool, int, float, str))}
        fixed["rates"], fixed["start"] = None, self.plan.start
        if self.trust_on:
            per_agent["signal_gain"] = tr.signal_gain(self.trust_params.kappa, self.sigma)
            fixed["rates"] = tr.pair_rates(self.D, self.trust_params)
        for stage in self.stages:
            if stage.setup is not None:
                fixed.update(stage.setup(self))
        phased: dict[str, np.ndarray] = {}
        if self.plan.scheduled:
            changed = {f for q in self.plan.params[1:] for f, v in vars_of(q).items() if v != getattr(p, f)}
            allowed = self.spec.family.phased
            if changed - set(allowed):
                raise ValueError(f"{self.spec.id}: a phase schedule may change {list(allowed)} along an episode, "
                                 f"not {sorted(changed - set(allowed))}")
            for f in sorted(changed):
                phased[f] = np.stack([q.arrays()[f] if f in per_agent else np.array(getattr(q, f))
                                      for q in self.plan.params])
        return per_agent, fixed, phased

    def _views(self, B: int) -> Constants:
        """The constants as views of the batch's own shapes, (B, n) and (B, n, n).

        numpy's ufuncs take their fast path only when the operands' shapes agree: on this
        machine (1, 2) * (2,) costs 0.84 us and (1, 2) * (1, 2) 0.33 us. A single env (B = 1)
        is all such small calls, so giving them equal shapes cuts its step by about a
        third. The views share memory with the originals (no copies); at large B they
        cost what broadcasting costs.
        """
        k = self._by_batch.get(B)
        if k is None:
            if len(self._by_batch) > 8:   # a few batch sizes are in use at a time
                self._by_batch.clear()
            k = self._by_batch[B] = Constants()
            k.__dict__.update(self._fixed)
            for name, v in self._per_agent.items():
                setattr(k, name, np.broadcast_to(v, (B,) + v.shape))
            k.one, k.horizon = np.broadcast_to(np.int64(1), (B,)), np.broadcast_to(np.int64(self.horizon), (B,))
        return k

    def constants(self, state: GameState) -> Constants:
        """The step constants of every game in ``state``: under a phase schedule, each game's values
        are those of the phase its step ``state.t`` falls in (the one place phases are read)."""
        k = self._views(state.t.shape[0])
        if not self._phased:
            return k
        phase = self.plan.index(state.t)
        at = Constants()
        at.__dict__.update(k.__dict__)
        for name, table in self._phased.items():
            setattr(at, name, table[phase])
        return at

    # ---- reset and step ----------------------------------------------------------------------

    def reset(self, keys: np.ndarray, options: dict | None = None, previous: GameState | None = None) -> GameState:
        """Initial state of len(keys) games; ``previous`` is the finished episode's state (or None)."""
        options = options or {}
        unknown = sorted(set(options) - set(self.RESET_OPTIONS))
        if unknown:  # PettingZoo's api tests pass foreign reset options, so ignore them, loudly
            allowed = list(self.RESET_OPTIONS) or "none"
            warnings.warn(f"{self.spec.id}: ignoring unknown reset option(s) {unknown}; allowed: {allowed}",
                          stacklevel=3)
        B, n = len(keys), self.n
        state = GameState(
            t=np.zeros(B, dtype=np.int64), keys=np.asarray(keys, dtype=np.uint64),
            last_action=np.zeros((B, n)), active=np.ones((B, n), dtype=bool),
        )
        if self.plan.moves_agents:
            state.active = self._in_game(state.t)
        if self.trust_on:
            p, off = self.trust_params, ~np.eye(n, dtype=bool)
            state.T = np.broadcast_to(np.where(off, p.T0, 0.0), (B, n, n)).copy()
            state.R = np.broadcast_to(np.where(off, p.R0, 0.0), (B, n, n)).copy()
        for init in self._inits:
            init(self, state, options, previous)
        return state

    def step(self, state: GameState, actions: np.ndarray) -> tuple[GameState, StepResult]:
        """One step of every game in the batch; actions (B, n) in endowment units. The order is
        ``coopgym.stages.ORDER``: clip, shocks, trust, payoff, adjustments, own terms, weights,
        reward layer, phase schedule, state updates, termination."""
        k = self.constants(state)
        a = self._clip(actions, state, k.e)
        for shock in self._shocks:
            a = shock(self, k, state, a)
        new = GameState(state.t + k.one, state.keys, a, state.active, state.T, state.R, state.extra.copy())
        for update_trust in self._trust:
            update_trust(self, k, state, new, a)
        pi = self._payoff(self, k, state, new, a)
        for adjust in self._adjust:
            pi = adjust(self, k, state, new, a, pi)
        own = None if self._own is None else self._own(self, k, state, new, a)
        r = rewards(pi, self._weights(self, k, new), own, self.m, state.active if self.VARIABLE_AGENTS else None)
        if self.plan.moves_agents:
            new.active = self._in_game(new.t)
        for update in self._updates:
            update(self, k, state, new, a)
        if self.normalize_reward or self.reward_scale != 1.0:
            r = r * (self.reward_scale / (self.e.max() if self.normalize_reward else 1.0))
        done = self.terminated(new) if self._ends else np.zeros(new.t.shape[0], dtype=bool)
        return new, StepResult(r, pi, a, done, new.t >= k.horizon)

    def clip_actions(self, actions, state: GameState) -> np.ndarray:
        """Validate (finite, shape (B, n)) and clip to [0, e_i]; agents out of the game act 0."""
        return self._clip(actions, state, self._views(state.batch).e)

    def _clip(self, actions, state: GameState, e: np.ndarray) -> np.ndarray:
        a = np.asarray(actions, dtype=np.float64)
        if a.shape != state.last_action.shape:
            raise ValueError(f"actions must have shape {state.last_action.shape} (batch, agents), got {a.shape}")
        clipped = np.empty(a.shape)
        if not _clip_rows(a, e, clipped):
            raise ValueError("actions contain NaN or inf; every action must be a finite number in [0, e_i]")
        return np.where(state.active, clipped, 0.0) if self.VARIABLE_AGENTS else clipped

    def weights(self, state: GameState) -> np.ndarray:
        """The reward layer's interdependence weights W at ``state`` (the game's weights stage)."""
        return self._weights(self, self.constants(state), state)

    def terminated(self, state: GameState) -> np.ndarray:
        """(B,) bool: any of the game's end stages holds at ``state``."""
        done = None
        for end in self._ends:
            now = end(self, state)
            done = now if done is None else done | now
        return np.zeros(state.batch, dtype=bool) if done is None else done

    def members(self, state: GameState) -> np.ndarray | None:
        """(B, n) the agents who share a team's output: a coalition's members where the game keeps them
        (``state.extra["member"]``), else the agents in the game; None: every agent."""
        if "member" in state.extra:
            return state.extra["member"]
        return state.active if self.VARIABLE_AGENTS else None

    def _in_game(self, t: np.ndarray) -> np.ndarray:
        """(B, n) the agents in the game at step t under the phase schedule."""
        return np.arange(self.n) < self._active_counts[self.plan.index(t)][:, None]

    def shared_features(self, state: GameState) -> list[np.ndarray]:
        """Public observation features of the state stages, each (B, k) in [0, 1], in listed order;
        last, who is in the game where agents join and leave."""
        out = [f for shared in self._shared for f in shared(self, state)]
        return out + [state.active.astype(np.float64)] if self.VARIABLE_AGENTS else out

    def agent_features(self, state: GameState) -> list[np.ndarray]:
        """Per-agent observation features of the state stages, each (B, n, k) in [0, 1]."""
        return [f for per_agent in self._per_agent_features for f in per_agent(self, state)]

    # ---- observations -------------------------------------------------------------------------
    #
    # All observations are gathers from one flat vector per game:
    #   [a / e (n) | t / horizon (1) | T (n*n) | R (n*n) | shared extras | per-agent extras (n*k) | 0 | 1]
    # The global state is that vector without the two constants; agent i's observation
    # is flat[:, index[i]], an index computed once per game. One compiled write (and a
    # concatenate of the extras, for games that have them) and one gather, for B = 1 as
    # for B = 65,536.

    def flat_state(self, state: GameState) -> np.ndarray:
        B = state.batch
        k = self._views(B)
        flat = np.empty((B, self._flat_width), dtype=np.float32)
        T, R = (state.T, state.R) if self.trust_on else (_NO_PAIRS, _NO_PAIRS)
        _write_flat(state.last_action, k.e, state.t, k.horizon, T, R, flat)
        if self._has_features:
            extras = self.shared_features(state) + [f.reshape(B, -1) for f in self.agent_features(state)]
            flat[:, self._extras_at:-2] = np.concatenate(extras, axis=-1, dtype=np.float32)
        return flat

    def _observation_layout(self) -> np.ndarray:
        """index (n, d) of each agent's observation in the flat vector (see ``observe``)."""
        probe = self.reset(np.zeros(1, dtype=np.uint64))
        n = self.n
        shared = [f.shape[-1] for f in self.shared_features(probe)]
        per_agent = [f.shape[-1] for f in self.agent_features(probe)]
        pos = n + 1
        T_at = R_at = None
        if self.trust_on:
            T_at, R_at, pos = pos, pos + n * n, pos + 2 * n * n
        shared_at, pos = pos, pos + sum(shared)
        agent_at = []
        for k in per_agent:
            agent_at.append((pos, k))
            pos += n * k
        zero, one = pos, pos + 1
        self._extras_at, self._flat_width = shared_at, pos + 2
        j = np.arange(n)
        rows = []
        for i in range(n):
            idx = [np.where(j == i, one, zero), j, [n]]
            if self.observation != "minimal":
                if self.trust_on:
                    idx += [T_at + i * n + j, R_at + i * n + j]
                    if self.observation == "full":
                        idx += [T_at + j * n + i, R_at + j * n + i]
                idx.append(shared_at + np.arange(sum(shared)))
                idx += [at + i * k + np.arange(k) for at, k in agent_at]
            rows.append(np.concatenate([np.asarray(x, dtype=np.int64) for x in idx]))
        return np.stack(rows)

    def observe(self, state: GameState, agent: int | None = None) -> np.ndarray:
        """Per-agent observations (B, n, d) (or agent ``agent``'s, (B, d)), float32 in [0, 1].

        Every preset: own one-hot id (n), everyone's last action / e (n), t / horizon (1).
        "asymmetric" adds i's own trust row T_i. and damage row R_i. (what i believes);
        "full" also adds the column T_.i and R_.i (what others believe of i).
        Every preset but "minimal" adds the game's public and per-agent extra features.
        """
        flat = self.flat_state(state)
        return flat.take(self._obs_index if agent is None else self._obs_index[agent], axis=1)

    @property
    def obs_dim(self) -> int:
        return self._obs_index.shape[1]

    @property
    def state_dim(self) -> int:
        return self.global_state(self.reset(np.zeros(1, dtype=np.uint64))).shape[-1]

    def global_state(self, state: GameState) -> np.ndarray:
        """The whole state for centralised critics (B, d): actions / e, t / horizon, T, R, extras."""
        return self.flat_state(state)[:, :-2]


def vars_of(record) -> dict[str, Any]:
    """The fields of a params record by name."""
    return {f: getattr(record, f) for f in record.__dataclass_fields__}


_NO_PAIRS = np.empty((1, 0, 0))   # T and R for ``_write_flat`` when trust is off


@compiled
def _write_flat(last_action, e, t, horizon, T, R, flat):
    """flat[b] = [a / e | t / horizon | T | R | extras (left to the caller) | 0 | 1], as float32.

    numpy needs two divisions, two reshapes and a concatenate for this (~4 us on one env);
    the values are the same: a float64 quotient rounded once to float32."""
    B, n, pairs = flat.shape[0], last_action.shape[1], T.shape[1] * T.shape[2]
    for b in range(B):
        for i in range(n):
            flat[b, i] = last_action[b, i] / e[b, i]
        flat[b, n] = t[b] / horizon[b]
        for i in range(T.shape[1]):
            for j in range(T.shape[2]):
                flat[b, n + 1 + i * T.shape[2] + j] = T[b, i, j]
                flat[b, n + 1 + pairs + i * T.shape[2] + j] = R[b, i, j]
        flat[b, flat.shape[1] - 2] = 0.0
        flat[b, flat.shape[1] - 1] = 1.0


@compiled
def _clip_rows(a, e, out):
    """out = min(max(a, 0), e) for a, e (B, n); False if any action is NaN or inf.

    One compiled pass instead of numpy's check, maximum and minimum (three calls of ~0.4 us
    overhead each on a single env's two actions)."""
    finite = True
    for b in range(a.shape[0]):
        for i in range(a.shape[1]):
            x = a[b, i]
            finite = finite and math.isfinite(x)
            out[b, i] = min(max(x, 0.0), e[b, i])
    return finite
