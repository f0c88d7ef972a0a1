"""The seven oracles as policies (SPEC section 8), registered as ``oracle/...``.

Stationary oracles solve once per game in ``bind`` and play the profile. What they
solve is the *stationary game* of the environment: each agent commits to one
action for the whole episode and earns its episode sum, computed on the
environment's own batched ``step`` (``oracles.solvers``), so trust dynamics,
tiers, penalties, exclusion, shocks and terminations all count, and the profile
is exactly what ``exploitability`` tests (no agent gains by a constant deviation).

- ``oracle/equilibrium``: the coopetitive equilibrium of the integrated utility
  (rewards at mutuality 1, TR-1 Eq 13). Decision (trust-weighting): W_ij = D_ij min(T_ij, 1 - R_ij)
  is evaluated along the trajectory the equilibrium itself produces: agent i's episode
  return is sum_t pi_i + sum_j W_ij(t) pi_j, so W enters as its episode mean W-bar, and
  W_ij(t) moves only with j's actions. Neither the reset trust (T0, R0) nor the t -> inf
  steady state is what an agent playing the profile for one episode experiences.
- ``oracle/nash``: the Nash equilibrium of the private payoffs pi (TR-3: a* of the free-riding game).
- ``oracle/social_optimum``: the profile maximising the episode sum of all private payoffs.

Environments whose rules are plain TR-1 (no special hooks; TR-4 memory games included, since
U_recip vanishes under constant play) are solved in closed form (``oracles.tr1``, first-order
conditions with W-bar, iterated to the fixed point W-bar(a*)), every other one by batched
best-response iteration on whole episodes. Diagnostics (``self.diagnostics``): what was
solved, the method, iterations, convergence, the largest remaining gain of a global
constant deviation (absolute and relative) and, in closed form, the FOC residual.

State-dependent oracles act from the current state:

- ``oracle/trust_aware`` (TR-2): the coopetitive equilibrium of the stage game at the *current*
  trust (closed form with W = D min(T, 1 - R) for plain TR-1 rules, the batched stage solver
  elsewhere), plus the trust-gated reciprocity term with rho = .20:
  a_i += .20 e_i mean_{j != i} T_ij tanh(kappa (a_j - b_j) / sigma_j) over the partners' last actions.
- ``oracle/loyalty`` (TR-3): the equilibrium of the TR-3 utility U = pi + L at the agents'
  current loyalty (``collective.equilibrium``); outside TR-3 (no loyalty state) the stationary
  coopetitive equilibrium of that environment.
- ``oracle/reciprocity`` (TR-4): the reciprocity equilibrium: on the path it plays the stationary
  coopetitive equilibrium a* of the full utility; a partner's deviation s_j = a_j - abar_j
  (TR-4 Eq 19-20, the environment's k-step memory; a_j - a*_j where it keeps none) is answered
  with the bounded, trust-gated response of TR-4 Eq 44:
  a_i = a*_i + alpha_r e_i sum_j lambda_R T_ij (1 + omega D_ij) rho_ij tanh(kappa s_j / sigma_j),
  alpha_r = .12 (SPEC section 4). Outside TR-4: rho0 = eta = kappa = lambda_R = 1, omega = 0.
- ``oracle/bounded_reciprocity`` (TR-4): the cooperation-evolution rule on fractions of the
  endowment, a <- a + alpha_r sum_j lambda_R T_ij (1 + omega D_ij) rho_ij phi(s_j) - delta (a - b),
  from the baseline (same parameters as above outside TR-4).
"""
from __future__ import annotations

import numpy as np

from coopgym.baselines import register
from coopgym.game import CoopetitionGame
from coopgym.mechanisms import collective as tc
from coopgym.mechanisms import reciprocity as rc
from coopgym.oracles import solvers, tr1
from coopgym.policy import Policy
from coopgym.reciprocity_game import ReciprocityGame
from coopgym.team_game import TeamGame

REFERENCE = "Coopetition-Gym v1 (arXiv:2605.02063); TR-1..TR-4 (arXiv:2510.18802, 2510.24909, 2601.16237, 2604.01240)"
RECIPROCITY_RHO = 0.20
_HOOKS = ("weights", "terminated", "gamma_of", "clip_actions", "update_trust", "value")
_SOLVED: dict[tuple, tuple[np.ndarray, dict]] = {}   # profiles shared by every oracle instance
# the reward mode and the observation (the oracle fixes its own objective), and what is derived
# from the rules: the observation layout and the per-batch-size views of the constants
_NOT_RULES = {"m", "observation", "reward_scale", "normalize_reward", "_obs_index", "_extras_at", "_flat_width",
              "_shaped"}


def rules_key(game) -> tuple:
    """What the stationary game depends on: every attribute of the game but the reward mode and
    the observation preset (a stationary oracle fixes its own objective), as hashable values."""
    def frozen(v):
        if isinstance(v, np.ndarray):
            return (v.shape, v.tobytes())
        if hasattr(v, "id") and hasattr(v, "params"):  # the EnvSpec
            return v.id
        return repr(v)
    return (type(game).__name__,) + tuple((k, frozen(v)) for k, v in sorted(vars(game).items()) if k not in _NOT_RULES)


def closed_form(game) -> bool:
    """Plain TR-1 rules (payoff, weights, dynamics of the base game; TR-4 memory allowed)."""
    cls = type(game)
    plain = all(getattr(cls, h) is getattr(CoopetitionGame, h) for h in _HOOKS)
    memory = cls.advance is ReciprocityGame.advance and cls.init_extra is ReciprocityGame.init_extra
    base = cls.advance is CoopetitionGame.advance and cls.init_extra is CoopetitionGame.init_extra
    return (plain and not cls.VARIABLE_AGENTS and cls.payoff in (CoopetitionGame.payoff, ReciprocityGame.payoff)
            and (memory or base) and game.value_spec in ("log", "power"))


def mean_weights(game, a: np.ndarray) -> np.ndarray:
    """W-bar (n, n): the episode mean of the weights the rewards use when every agent plays a."""
    if not game.trust_on:
        return game.D
    state, total = game.reset(np.zeros(1, dtype=np.uint64)), np.zeros((game.n, game.n))
    for _ in range(game.horizon):
        state, _ = game.step(state, a[None])
        total += game.weights(state)[0]
    return total / game.horizon


def _tr1(game, W, a0=None):
    return tr1.equilibrium(game.e[None], W[None], game.alpha[None], np.array([game.gamma]), game.value_spec,
                           game.theta, game.beta, a0=None if a0 is None else a0[None])


def solve_closed_form(game, objective: str) -> tuple[np.ndarray, dict]:
    """Stationary profile of plain TR-1 rules from the first-order conditions (``oracles.tr1``)."""
    if objective == "payoff":
        W, it = np.zeros((game.n, game.n)), 1
        sol = _tr1(game, W)
    elif objective == "welfare":           # the gradient of sum_j pi_j: W_ij = 1 off the diagonal
        W, it = 1.0 - np.eye(game.n), 1
        sol = _tr1(game, W)
    else:                                  # W-bar(a*) fixed point
        sol = _tr1(game, mean_weights(game, 0.5 * game.e))
        for it in range(1, 101):
            W = mean_weights(game, sol.actions[0])
            new = _tr1(game, W, sol.actions[0])
            done = np.abs(new.actions - sol.actions).max() <= 1e-11 * game.e.max()
            sol = new
            if done:
                break
    return sol.actions[0], {"method": "closed form (TR-1 first-order conditions, Newton best responses)",
                            "iterations": it, "max_foc_residual": float(sol.residual.max()),
                            "W": np.round(W, 6).tolist(), "fc_converged": bool(sol.converged.all())}


def stationary_profile(game, objective: str) -> tuple[np.ndarray, dict]:
    """The stationary profile of ``objective`` ("reward" at mutuality 1, "payoff", "welfare"), cached."""
    key = (objective, rules_key(game))
    if key not in _SOLVED:
        g = solvers.with_mutuality(game, 1.0)
        if closed_form(game):
            a, diag = solve_closed_form(g, objective)
            f = solvers.episode_objective(g, objective)
            cert = solvers.certify(f, a[None], np.zeros((1, game.n)), game.e[None], settled=True,
                                   kind="welfare" if objective == "welfare" else "nash")
            diag.update(converged=diag.pop("fc_converged") and diag["max_foc_residual"] < 1e-6,
                        max_gain=float(cert.max_gain[0]), relative_gain=float(cert.relative_gain[0]))
        else:
            sol = solvers.stationary(g, objective, mutuality=1.0)
            a = sol.actions[0]
            diag = {"method": "batched best-response iteration on whole episodes", **sol.diagnostics()}
        _SOLVED[key] = (a, diag)
    return _SOLVED[key]


class OracleBase(Policy):
    kind, family, reference = "oracle", "game-theoretic", REFERENCE
    solves = ""

    def __init__(self):
        self.diagnostics: dict = {}

    def describe(self) -> str:
        return f"{self.name}: {self.solves}"


class StationaryOracle(OracleBase):
    """Solves the stationary game once per game and plays the profile."""

    def __init__(self, name: str, objective: str, solves: str):
        super().__init__()
        self.name, self.objective, self.solves = name, objective, solves
        self._cache: dict[int, np.ndarray] = {}

    def profile(self, game) -> np.ndarray:
        key = id(game)
        if key not in self._cache:
            a, diag = stationary_profile(game, self.objective)
            self._cache[key] = a
            self.diagnostics = {"solves": self.solves, **diag}
        return self._cache[key]

    def bind(self, game):
        self.profile(game)
        return self

    def act(self, game, state, agents):
        a = np.broadcast_to(self.profile(game), (state.batch, game.n))
        return np.where(state.active, a, 0.0)[:, agents]


def team_stage(game, state, integrated: bool = True) -> tuple[np.ndarray, dict]:
    """TR-3 stage equilibrium of U_i = pi_i + L_i (+ sum_j W_ij pi_j) at the current loyalty and trust.

    A member's marginal utility is (1 + phi_B theta_i + w_i) omega beta S^(beta - 1) / m - c (1 - phi_C theta_i),
    w_i = sum_{j in team} W_ij, so its best response depends only on r_i = (1 + phi_B theta_i + w_i) /
    (1 - phi_C theta_i): ``collective.equilibrium`` with loyalty r_i - 1, phi_B = 1, phi_C = 0 has the
    same best responses (its FOC residual is scaled by 1 / (1 - phi_C theta_i))."""
    omega, _ = game.team_parameters(state)
    members = game.members(state)
    mask = state.active if members is None else members
    theta = state.extra["loyalty"]
    w = 0.0
    if integrated:
        W = game.weights(state) if game.weights(state) is not None else np.zeros((state.batch, game.n, game.n))
        w = (np.broadcast_to(W, (state.batch, game.n, game.n)) * mask[:, None, :]).sum(axis=2)
    m = mask.sum(axis=1, keepdims=True)
    ratio = (1.0 + np.where(m > 1, game.phi_B * theta, 0.0) + w) / (1.0 - game.phi_C * theta)
    sol = tc.equilibrium(ratio - 1.0, omega, game.team_beta, game.c, 1.0, 0.0, game.e.min(), members=mask)
    return sol.actions, {"method": "closed-form TR-3 best responses (collective)", "iterations": sol.iterations,
                         "converged": bool(np.all(sol.converged)), "max_foc_residual": float(np.max(sol.residual))}


def _trust(game, state) -> np.ndarray:
    return state.T if game.trust_on else np.ones((state.batch, game.n, game.n))


class TrustAwareOracle(StationaryOracle):
    def __init__(self):
        super().__init__("oracle/trust_aware", "reward",
                         "stage-game coopetitive equilibrium at the current trust W = D min(T, 1 - R), plus "
                         "trust-gated reciprocity rho = .20 (TR-2)")

    def bind(self, game):
        return self

    def act(self, game, state, agents):
        a0 = np.broadcast_to(0.5 * game.e, (state.batch, game.n))
        if closed_form(game):
            W = game.weights(state) if game.trust_on else np.broadcast_to(game.D, (state.batch, game.n, game.n))
            sol = tr1.equilibrium(np.broadcast_to(game.e, a0.shape), W, np.broadcast_to(game.alpha, a0.shape),
                                  np.full(state.batch, game.gamma), game.value_spec, game.theta, game.beta, a0=a0)
            a, diag = sol.actions, {"method": "closed form at the current trust", "iterations": sol.iterations,
                                    "converged": bool(sol.converged.all()),
                                    "max_foc_residual": float(sol.residual.max())}
        elif isinstance(game, TeamGame):
            a, diag = team_stage(game, state)
        else:
            sol = solvers.stage(game, state, "reward", 1.0, a0=a0, tol=1e-6, max_sweeps=50)
            a, diag = sol.actions, {"method": "batched stage best responses at the current state",
                                    **sol.diagnostics()}
        if game.trust_on:   # trust-gated reciprocity to the partners' last actions
            signal = np.tanh(game.trust_params.kappa * (state.last_action - game.baseline) / game.sigma)
            signal = np.where(state.t[:, None] > 0, signal, 0.0)
            answer = (state.T * signal[:, None, :]).sum(axis=2) / max(game.n - 1, 1)
            a = np.clip(a + RECIPROCITY_RHO * game.e * answer, 0.0, game.e)
        self.diagnostics = {"solves": self.solves, **diag}
        return np.where(state.active, a, 0.0)[:, agents]


class LoyaltyOracle(StationaryOracle):
    def __init__(self):
        super().__init__("oracle/loyalty", "reward",
                         "TR-3 equilibrium of U = pi + L at the current loyalty (elsewhere: the stationary "
                         "coopetitive equilibrium)")

    def bind(self, game):
        return self if isinstance(game, TeamGame) else super().bind(game)

    def act(self, game, state, agents):
        if not isinstance(game, TeamGame):
            return super().act(game, state, agents)
        omega, _ = game.team_parameters(state)
        members = game.members(state)
        sol = tc.equilibrium(state.extra["loyalty"], omega, game.team_beta, game.c, game.phi_B, game.phi_C,
                             game.e.min(), members=members if members is not None else state.active)
        self.diagnostics = {"solves": self.solves, "method": "closed-form TR-3 best responses (collective)",
                            "iterations": sol.iterations, "converged": bool(np.all(sol.converged)),
                            "max_foc_residual": float(np.max(sol.residual))}
        return np.where(state.active, sol.actions, 0.0)[:, agents]


def reciprocity_parameters(game):
    """(rho0, eta, kappa, lambda_R, omega) of a TR-4 game; 1, 1, 1, 1, 0 elsewhere."""
    if isinstance(game, ReciprocityGame):
        return game.rho0, game.eta, game.kappa_R, game.lambda_R, game.omega_R
    return 1.0, 1.0, 1.0, 1.0, 0.0


class ReciprocityOracle(StationaryOracle):
    def __init__(self):
        super().__init__("oracle/reciprocity", "reward",
                         "reciprocity equilibrium: the stationary coopetitive equilibrium on the path, deviations "
                         "answered by the bounded trust-gated response of TR-4 Eq 44")

    def act(self, game, state, agents):
        base = np.broadcast_to(self.profile(game), (state.batch, game.n))
        if isinstance(game, ReciprocityGame):
            memory = game.memory_mean(state, fallback=state.last_action)
        else:
            memory = base
        s = np.where(state.t[:, None] > 0, state.last_action - memory, 0.0)
        push = rc.reciprocity_utility(s, _trust(game, state), game.D, *reciprocity_parameters(game), game.sigma)
        a = np.clip(base + rc.ALPHA_R * game.e * push, 0.0, game.e)
        self.diagnostics = {**self.diagnostics, "max_response": float(np.abs(a - base).max())}
        return np.where(state.active, a, 0.0)[:, agents]


class BoundedReciprocityOracle(OracleBase):
    name = "oracle/bounded_reciprocity"
    solves = "TR-4 cooperation-evolution rule (bounded, memory-windowed, trust-gated reciprocity)"

    def act(self, game, state, agents):
        rho0, eta, kappa, lam, omega = reciprocity_parameters(game)
        if isinstance(game, ReciprocityGame):
            memory = game.memory_mean(state, fallback=state.last_action)
        else:
            memory = state.last_action
        frac, base = state.last_action / game.e, game.baseline / game.e
        started = state.t[:, None] > 0
        s = np.where(started, frac - memory / game.e, 0.0)
        T = _trust(game, state)
        bound = rc.reciprocity_weights(T, game.D, rho0, eta, lam, omega).sum(axis=-1)
        push = rc.reciprocity_utility(s, T, game.D, rho0, eta, kappa, lam, omega, 1.0)
        now = np.where(started, frac, base)            # a_i(t) on the fraction scale, the baseline at reset
        nxt = np.clip(now + rc.ALPHA_R * push - rc.DELTA * (now - base), 0.0, 1.0)
        self.diagnostics = {"solves": self.solves, "method": "rule (no optimisation)",
                            "max_push": float(np.abs(push).max()), "bound": float(bound.max()),
                            "bounded": bool(np.all(np.abs(push) <= bound + 1e-12))}
        return (nxt * game.e * state.active)[:, agents]


def _register() -> None:
    stationary = {
        "oracle/equilibrium": ("reward", "stationary coopetitive equilibrium of the integrated utility "
                                         "(TR-1 Eq 13, W trust-weighted along its own trajectory)"),
        "oracle/nash": ("payoff", "stationary Nash equilibrium of the private payoffs pi (TR-3: free-riding a*)"),
        "oracle/social_optimum": ("welfare", "stationary profile maximising the sum of private payoffs"),
    }
    for name, (objective, solves) in stationary.items():
        register(name, (lambda name=name, o=objective, s=solves: StationaryOracle(name, o, s)), kind="oracle",
                 family="game-theoretic", reference=REFERENCE)
    for cls, name in ((TrustAwareOracle, "oracle/trust_aware"), (LoyaltyOracle, "oracle/loyalty"),
                      (ReciprocityOracle, "oracle/reciprocity"),
                      (BoundedReciprocityOracle, "oracle/bounded_reciprocity")):
        register(name, cls, kind="oracle", family="game-theoretic", reference=REFERENCE)


_register()
