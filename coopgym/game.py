"""The batched game: state as data and one pure, batch-first step.

    state  = GameState of arrays with a leading batch axis B
    step(state, actions[B, n]) -> (new_state, StepResult of arrays)

``CoopetitionGame`` composes the TR-1 payoff, the TR-2 trust dynamics and the
reward layer; the TR-3 and TR-4 games and the environments' special rules are
subclasses that override a few hooks (``payoff``, ``advance``, ``terminated``,
``agent_features``). Every interface (Gymnasium, PettingZoo, vector) is a thin
adapter over this one step, written once for B = 1 and B = 65,536 alike.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from coopgym.compiled import compiled
from coopgym.mechanisms import trust as tr
from coopgym.mechanisms import value as tv
from coopgym.mechanisms.interdependence import uniform_matrix
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
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # per-game state (loyalty, memory, ...)

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
    payoffs: np.ndarray      # (B, n) private payoffs pi_i
    actions: np.ndarray      # (B, n) the actions after clipping
    terminated: np.ndarray   # (B,) bool
    truncated: np.ndarray    # (B,) bool
    info: dict[str, np.ndarray] = field(default_factory=dict)


class CoopetitionGame:
    """TR-1 value creation with TR-2 trust and the reward layer (SPEC sections 1, 2, 5).

    pi_i = e_i - a_i + f(a_i) + alpha_i gamma g(a);   W = D * min(T, 1 - R) (trust on) or D;
    rewards from the reward layer with mutuality m.
    """

    #: parameters this game understands, with their defaults
    PARAMS: ClassVar[dict[str, Any]] = {
        "endowment": 100.0, "D": 0.0, "value": "log", "theta": 20.0, "beta": 0.75, "gamma": 0.65,
        "alpha": None, "baseline": None, "baseline_fraction": None, "trust": tr.TrustParams(),
        "T0": None, "R0": None,
    }

    def __init__(self, spec: EnvSpec, *, n_agents: int | None = None, horizon: int | None = None,
                 phase: str | None = None, trust: bool = True, signal_scale: float | str | None = None,
                 reward: str | None = None, mutuality: float | None = None, observation: str = "full",
                 params: dict[str, Any] | None = None, reward_scale: float = 1.0,
                 normalize_reward: bool = False):
        self.spec = spec
        self.phase = self._resolve_phase(phase)
        merged = dict(spec.params)
        if self.phase is not None and self.phase != "historical":
            merged.update(spec.phases[self.phase])
        n_default = merged.pop("n_agents", spec.n_agents)
        self.n = self._resolve_n(n_agents, n_default)
        self.horizon = _positive_int("horizon", spec.horizon if horizon is None else horizon)
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
        unknown = set(merged) - set(self.PARAMS)
        if unknown:  # a spec that names a parameter its game does not read is a bug in the spec
            raise RuntimeError(f"{spec.id}: parameters {sorted(unknown)} are not read by {type(self).__name__}")
        if params:
            bad = sorted(set(params) - set(self.PARAMS))
            if bad:
                raise ValueError(f"{spec.id}: unknown parameter(s) {bad}; known: {sorted(self.PARAMS)}")
            merged.update(params)
        values = {k: merged.get(k, default) for k, default in self.PARAMS.items()}
        values = {k: (v(self.n) if callable(v) and not isinstance(v, type) else v) for k, v in values.items()}
        self.configure(values)
        self.trust_on = bool(trust) and self.trust_params is not None
        self.sigma = self._resolve_signal_scale(signal_scale)
        self._off_diagonal = ~np.eye(self.n, dtype=bool)
        self._rates = tr.pair_rates(self.D, self.trust_params) if self.trust_on else None
        self._signal_gain = self.trust_params.kappa / self.sigma if self.trust_on else None
        self._shaped: dict[int, BatchConstants] = {}
        self._obs_index = self._observation_layout()

    # ---- configuration -------------------------------------------------------------------

    def configure(self, p: dict[str, Any]) -> None:
        """Turn resolved parameter values into arrays (subclasses extend)."""
        n = self.n
        self.e = agent_vector("endowment", p["endowment"], n, positive=True)
        self.D = _matrix("D", p["D"], n)
        if p["value"] not in ("log", "power"):
            raise ValueError(f"value spec must be 'log' or 'power', got {p['value']!r}")
        self.value_spec = p["value"]
        self.theta = nonnegative("theta", p["theta"])
        self.beta = float(p["beta"])
        if not 0.0 < self.beta <= 1.0:
            raise ValueError(f"beta must be in (0, 1], got {p['beta']!r}")
        self.gamma = float(p["gamma"])
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {p['gamma']!r}")
        self.alpha = tv.normalise_shares(np.full(n, 1.0 / n) if p["alpha"] is None else agent_vector("alpha", p["alpha"], n))
        if p["baseline"] is not None:
            self.baseline = agent_vector("baseline", p["baseline"], n)
        else:
            self.baseline = (0.35 if p["baseline_fraction"] is None else float(p["baseline_fraction"])) * self.e
        self.trust_params = trust_with_start(p["trust"], p["T0"], p["R0"])

    def _resolve_phase(self, phase):
        phases = self.spec.phases
        if not phases:
            if phase is not None:
                raise ValueError(f"{self.spec.id} has no phases; phase={phase!r} is not allowed")
            return None
        if phase is None:
            return self.spec.default_phase
        allowed = list(phases) + (["historical"] if self.spec.schedule else [])
        if phase not in allowed:
            raise ValueError(f"{self.spec.id}: unknown phase {phase!r}; choose one of {allowed}")
        return phase

    def _resolve_n(self, n_agents, n_default):
        lo, hi = self.spec.allowed_n
        n = n_default if n_agents is None else n_agents
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"n_agents must be an integer, got {n_agents!r}")
        if not lo <= n <= hi:
            allowed = f"{lo}" if lo == hi else f"{lo}..{hi}"
            raise ValueError(f"{self.spec.id}: n_agents={n} is impossible; allowed: {allowed}")
        return int(n)

    def _resolve_signal_scale(self, signal_scale):
        """sigma_j of the trust signal: e_j / 10 by default (SPEC Decision); 1.0 = reference platform."""
        if signal_scale is None or signal_scale == "e/10":
            return self.e / 10.0
        s = signal_scale
        if isinstance(s, str) or not np.isfinite(s) or s <= 0:
            raise ValueError(f"signal_scale must be a positive number or 'e/10', got {signal_scale!r}")
        return np.full(self.n, float(s))

    def shaped(self, B: int) -> "BatchConstants":
        """The constants of the step as views of the batch's own shapes, (B, n) and (B, n, n).

        numpy's ufuncs take their fast path only when the operands' shapes agree: on this
        machine (1, 2) * (2,) costs 0.84 us and (1, 2) * (1, 2) 0.33 us. A single env (B = 1)
        is all such small calls, so giving them equal shapes cuts its step by about a
        third. The views share memory with the originals (no copies); at large B they
        cost what broadcasting costs.
        """
        k = self._shaped.get(B)
        if k is None:
            if len(self._shaped) > 8:   # a few batch sizes are in use at a time
                self._shaped.clear()
            k = self._shaped[B] = BatchConstants.of(self, B)
        return k

    # ---- the step ----------------------------------------------------------------------------

    #: whether agents can leave and join during an episode (``state.active`` may be false)
    VARIABLE_AGENTS: ClassVar[bool] = False
    #: keys a user may pass in ``reset(options=...)``
    RESET_OPTIONS: ClassVar[tuple[str, ...]] = ()

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
        if self.trust_on:
            p = self.trust_params
            state.T = np.broadcast_to(np.where(self._off_diagonal, p.T0, 0.0), (B, n, n)).copy()
            state.R = np.broadcast_to(np.where(self._off_diagonal, p.R0, 0.0), (B, n, n)).copy()
        self.init_extra(state, options, previous)
        return state

    def step(self, state: GameState, actions: np.ndarray) -> tuple[GameState, StepResult]:
        """One step of every game in the batch; actions (B, n) in endowment units."""
        a = self.clip_actions(actions, state)
        k = self.shaped(a.shape[0])
        new = GameState(state.t + k.one, state.keys, a, state.active, state.T, state.R, state.extra.copy())
        if self.trust_on:
            self.update_trust(state, new, a)
        pi, own = self.payoff(state, new, a)
        r = rewards(pi, self.weights(new), own, self.m, state.active if self.VARIABLE_AGENTS else None)
        self.advance(state, new, a)
        if self.normalize_reward or self.reward_scale != 1.0:
            r = r * (self.reward_scale / (self.e.max() if self.normalize_reward else 1.0))
        return new, StepResult(r, pi, a, self.terminated(new), new.t >= k.horizon)

    def clip_actions(self, actions, state: GameState) -> np.ndarray:
        """Validate (finite, shape (B, n)) and clip to [0, e_i]; inactive agents act 0."""
        a = np.asarray(actions, dtype=np.float64)
        if a.shape != state.last_action.shape:
            raise ValueError(f"actions must have shape {state.last_action.shape} (batch, agents), got {a.shape}")
        clipped = np.empty(a.shape)
        if not _clip_rows(a, self.shaped(a.shape[0]).e, clipped):
            raise ValueError("actions contain NaN or inf; every action must be a finite number in [0, e_i]")
        return np.where(state.active, clipped, 0.0) if self.VARIABLE_AGENTS else clipped

    def update_trust(self, old: GameState, new: GameState, a: np.ndarray) -> None:
        """TR-2 update of every ordered pair from the pre-step T and R."""
        k = self.shaped(a.shape[0])
        s = np.tanh((a - k.baseline) * k.signal_gain)  # = trust_signal(a, b, sigma, kappa), per observed agent j
        new.T, new.R = tr.trust_update(old.T, old.R, s, self.D, self.trust_params, rates=self._rates)

    # ---- hooks ------------------------------------------------------------------------------

    def init_extra(self, state: GameState, options: dict, previous: GameState | None) -> None:
        """Add per-game state to ``state.extra`` (subclasses)."""

    def value(self, a: np.ndarray) -> np.ndarray:
        return tv.log_value(a, self.theta) if self.value_spec == "log" else tv.power_value(a, self.beta)

    def payoff(self, old: GameState, new: GameState, a: np.ndarray):
        """Private payoffs pi (B, n) and the agents' own mechanism terms (or None).

        An environment's special rules (tiers, penalties, exclusion) change pi here, so
        the reward layer always sees the payoffs the agents really earn."""
        k = self.shaped(a.shape[0])
        pi = tv.private_payoff(a, k.e, self.value(a), tv.synergy(a), k.alpha, self.gamma_of(new))
        return pi, None

    def gamma_of(self, state: GameState):
        return self.gamma

    def weights(self, state: GameState) -> np.ndarray | None:
        """W = D * min(T, 1 - R) with trust, D without."""
        if self.trust_on:
            return tv.trust_weights(self.shaped(state.batch).D, state.T, state.R)
        return self.D

    def advance(self, old: GameState, new: GameState, a: np.ndarray) -> None:
        """Update ``new.extra`` after the payoffs (subclasses)."""

    def terminated(self, state: GameState) -> np.ndarray:
        return np.zeros(state.batch, dtype=bool)

    def agent_features(self, state: GameState) -> list[np.ndarray]:
        """Extra per-agent observation features, each (B, n, k) in [0, 1] (subclasses)."""
        return []

    def shared_features(self, state: GameState) -> list[np.ndarray]:
        """Extra public features every agent sees, each (B, k) in [0, 1] (subclasses)."""
        return []

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
        k = self.shaped(B)
        flat = np.empty((B, self._flat_width), dtype=np.float32)
        T, R = (state.T, state.R) if self.trust_on else (_NO_PAIRS, _NO_PAIRS)
        _write_flat(state.last_action, k.e, state.t, k.horizon, T, R, flat)
        extras = self.shared_features(state) + [f.reshape(B, -1) for f in self.agent_features(state)]
        if extras:
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

    def describe(self) -> str:
        return f"{self.spec.id} (n={self.n}, horizon={self.horizon}, mutuality={self.m:g}, trust={'on' if self.trust_on else 'off'})"


@dataclass(frozen=True, slots=True)
class BatchConstants:
    """A game's step constants broadcast to batch size B (read-only views); see ``CoopetitionGame.shaped``."""

    e: np.ndarray                    # (B, n) endowments
    alpha: np.ndarray                # (B, n) surplus shares
    D: np.ndarray                    # (B, n, n) interdependence
    baseline: np.ndarray | None      # (B, n) trust baselines b_j
    signal_gain: np.ndarray | None   # (B, n) kappa / sigma_j
    one: np.ndarray                  # (B,) int64 ones: the step counter's increment
    horizon: np.ndarray              # (B,) int64

    @classmethod
    def of(cls, game: CoopetitionGame, B: int) -> "BatchConstants":
        n = game.n
        row = lambda v: np.broadcast_to(v, (B, n))
        pairs = lambda v: np.broadcast_to(v, (B, n, n))
        return cls(row(game.e), row(game.alpha), pairs(game.D), row(game.baseline) if game.trust_on else None,
                   row(game._signal_gain) if game.trust_on else None,
                   np.broadcast_to(np.int64(1), (B,)), np.broadcast_to(np.int64(game.horizon), (B,)))


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


def trust_with_start(trust: tr.TrustParams | None, T0=None, R0=None) -> tr.TrustParams | None:
    """``trust`` with its initial trust and damage overridden where T0 / R0 are given."""
    if trust is None or (T0 is None and R0 is None):
        return trust
    return replace(trust, T0=trust.T0 if T0 is None else float(T0), R0=trust.R0 if R0 is None else float(R0))


def unit_interval(name, value) -> float:
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return v


def positive(name, value) -> float:
    v = float(value)
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return v


def _positive_int(name, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def nonnegative(name, value) -> float:
    v = float(value)
    if not (np.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return v


def agent_vector(name, value, n, positive=False) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    v = np.full(n, float(v)) if v.ndim == 0 else v
    if v.shape != (n,):
        raise ValueError(f"{name} must be a number or a list of {n} numbers (one per agent), got shape {v.shape}")
    if not np.isfinite(v).all() or (positive and np.any(v <= 0)):
        raise ValueError(f"{name} must be finite{' and positive' if positive else ''}, got {v.tolist()}")
    return v


def _matrix(name, value, n) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    if v.ndim == 0:
        return uniform_matrix(n, float(v))
    if v.shape != (n, n):
        raise ValueError(f"{name} must be a number or an {n}x{n} matrix, got shape {v.shape}")
    if not np.isfinite(v).all() or np.any(v < 0) or np.any(v > 1):
        raise ValueError(f"{name} entries must be in [0, 1]")
    v = v.copy()
    np.fill_diagonal(v, 0.0)
    return v
