"""The seven oracles as policies (SPEC section 8), registered as ``oracle/...``.

Stationary oracles solve once per game in ``bind`` (on the stage game at the
reset state, with ``oracles.stage`` on the game's own step, so every special
rule counts) and then play that profile:

- ``oracle/equilibrium``: the coopetitive equilibrium of the integrated utility
  (mutuality 1; W = D * min(T, 1 - R) at the initial trust when trust is on).
- ``oracle/nash``: the Nash equilibrium of the private payoffs pi (in TR-3 games
  this is the free-riding a*).
- ``oracle/social_optimum``: the profile maximising the sum of private payoffs.
- ``oracle/reciprocity``: the equilibrium of the full TR-4 utility. Under stationary
  play every deviation from memory is 0, so U_recip vanishes and this profile is
  the coopetitive equilibrium of the TR-4 game; in non-TR-4 games it is the
  coopetitive equilibrium.

State-dependent oracles re-solve from the current state every step, batched:

- ``oracle/trust_aware``: the coopetitive equilibrium with W at the *current*
  trust (closed-form gradients, ``oracles.tr1``, where the environment pays the
  plain TR-1 payoff; the stationary equilibrium elsewhere), plus a trust-gated
  reciprocity term with rho = .20: a_i += .20 e_i mean_j T_ij tanh(kappa (a_j - b_j) / sigma_j)
  over the partners' last actions.
- ``oracle/loyalty``: in TR-3 games, the equilibrium of the TR-3 utility at the
  agents' current loyalty (``collective.equilibrium``); elsewhere the coopetitive equilibrium.
- ``oracle/bounded_reciprocity``: the TR-4 cooperation-evolution rule on fractions of
  the endowment, a <- a + alpha_r sum_j lambda_R T_ij (1 + omega D_ij) rho_ij phi(s_j) - delta (a - b),
  starting from the baseline (parameters of the TR-4 game; rho0 = eta = kappa = lambda_R = 1,
  omega = 0 in other games).

Every oracle records its diagnostics in ``self.diagnostics`` (iterations,
convergence, the largest remaining best-response gain).
"""
from __future__ import annotations

import numpy as np

from coopgym.baselines import register
from coopgym.game import CoopetitionGame
from coopgym.mechanisms import collective as tc
from coopgym.mechanisms import reciprocity as rc
from coopgym.policy import Policy
from coopgym.reciprocity_game import ReciprocityGame
from coopgym.team_game import TeamGame
from coopgym.oracles import stage, tr1

REFERENCE = "Coopetition-Gym v1 (arXiv:2605.02063); TR-1..TR-4 (arXiv:2510.18802, 2510.24909, 2601.16237, 2604.01240)"
RECIPROCITY_RHO = 0.20


_PROFILES: dict[tuple, tuple[np.ndarray, dict]] = {}   # solved profiles, shared by every oracle instance
_NOT_RULES = {"m", "observation", "reward_scale", "normalize_reward", "_obs_index", "_constants"}


def rules_key(game) -> tuple:
    """What the stage game depends on: every attribute of the game but the reward mode and the
    observation preset (a stationary oracle fixes its own objective), as hashable values."""
    def frozen(v):
        if isinstance(v, np.ndarray):
            return (v.shape, v.tobytes())
        if hasattr(v, "id") and hasattr(v, "params"):  # the EnvSpec
            return v.id
        return repr(v)
    return (type(game).__name__,) + tuple((k, frozen(v)) for k, v in sorted(vars(game).items()) if k not in _NOT_RULES)


class StationaryOracle(Policy):
    """Solves the stage game at the reset state once per game and plays the profile."""

    kind, family, reference = "oracle", "game-theoretic", REFERENCE
    objective, mutuality = "own", 1.0

    def __init__(self, name: str, objective: str, mutuality: float | None = 1.0):
        self.name, self.objective, self.mutuality = name, objective, mutuality
        self._cache: dict[int, np.ndarray] = {}
        self.diagnostics: dict = {}

    def profile(self, game) -> np.ndarray:
        key = id(game)
        if key not in self._cache:
            shared = (self.objective, self.mutuality, rules_key(game))
            if shared not in _PROFILES:
                if isinstance(game, TeamGame) and self.objective != "welfare":
                    _PROFILES[shared] = self._team_equilibrium(game)
                else:
                    g = game if self.mutuality is None else stage.with_mutuality(game, self.mutuality)
                    sol = stage.solve(g, g.reset(np.zeros(1, dtype=np.uint64)), self.objective)
                    _PROFILES[shared] = (sol.actions, {"iterations": sol.iterations, "converged": sol.converged,
                                                       "max_gain": sol.max_gain})
            self._cache[key], self.diagnostics = _PROFILES[shared]
        return self._cache[key]

    def _team_equilibrium(self, game) -> np.ndarray:
        """TR-3 games: any profile with the right total effort is a stage equilibrium, so solve the
        symmetric one with the TR-3 solver. A member's marginal utility is
        (1 + phi_B theta + w) omega beta S^(beta-1) / m - c (1 - phi_C theta), w = sum_j W_ij
        (integrated utility; 0 for the private-payoff Nash), all agents alike at the reset state."""
        state = game.reset(np.zeros(1, dtype=np.uint64))
        theta = state.extra["loyalty"][0, 0]
        omega, _ = game.team_parameters(state)
        members = state.active[0] if game.members(state) is None else game.members(state)[0]
        if self.objective == "payoff":  # the free-riding Nash: no loyalty, no interdependence
            phi_B, phi_C = 0.0, 0.0
        else:
            W = game.weights(state)[0]
            phi_B, phi_C = game.phi_B * theta + self.mutuality * W.sum(axis=1).max(), game.phi_C * theta
        sol = tc.equilibrium(np.ones(game.n), np.asarray(omega).reshape(()), game.team_beta, game.c, phi_B, phi_C,
                             game.e.min(), members=members)
        return sol.actions, {"iterations": sol.iterations, "converged": bool(np.all(sol.converged)),
                             "max_foc_residual": float(np.max(sol.residual))}

    def bind(self, game):
        self.profile(game)
        return self

    def act(self, game, state, agents):
        a = np.broadcast_to(self.profile(game), (state.batch, game.n))
        return np.where(state.active, a, 0.0)[:, agents]


class TrustAwareOracle(StationaryOracle):
    def __init__(self):
        super().__init__("oracle/trust_aware", "own", 1.0)

    def act(self, game, state, agents):
        plain_tr1 = type(game).payoff in (CoopetitionGame.payoff, ReciprocityGame.payoff) and game.value_spec in ("log", "power")
        if plain_tr1 and game.trust_on:
            W = game.D * np.minimum(state.T, 1.0 - state.R)
            gamma = np.broadcast_to(np.asarray(game.gamma_of(state), dtype=float), (state.batch,))
            sol = tr1.equilibrium(np.broadcast_to(game.e, (state.batch, game.n)), W,
                                  np.broadcast_to(game.alpha, (state.batch, game.n)), gamma,
                                  game.value_spec, game.theta, game.beta)
            a = sol.actions
            self.diagnostics = {"iterations": sol.iterations, "converged": bool(sol.converged.all()),
                                "max_foc_residual": float(sol.residual.max())}
        else:
            a = np.broadcast_to(self.profile(game), (state.batch, game.n)).copy()
        if game.trust_on:  # trust-gated reciprocity to the partners' last actions
            kappa = game.trust_params.kappa
            signal = np.where(state.t[:, None] > 0, np.tanh(kappa * (state.last_action - game.baseline) / game.sigma), 0.0)
            answer = (state.T * signal[:, None, :]).sum(axis=2) / max(game.n - 1, 1)
            a = np.clip(a + RECIPROCITY_RHO * game.e * answer, 0.0, game.e)
        return np.where(state.active, a, 0.0)[:, agents]


class LoyaltyOracle(StationaryOracle):
    def __init__(self):
        super().__init__("oracle/loyalty", "own", 1.0)

    def act(self, game, state, agents):
        if not isinstance(game, TeamGame):
            return super().act(game, state, agents)
        omega, _ = game.team_parameters(state)
        members = game.members(state)
        sol = tc.equilibrium(state.extra["loyalty"], omega, game.team_beta, game.c, game.phi_B, game.phi_C,
                             game.e.min(), members=members if members is not None else state.active)
        self.diagnostics = {"iterations": sol.iterations, "converged": bool(np.all(sol.converged)),
                            "max_foc_residual": float(np.max(sol.residual))}
        return np.where(state.active, sol.actions, 0.0)[:, agents]


class BoundedReciprocityOracle(Policy):
    kind, family, reference = "oracle", "game-theoretic", REFERENCE
    name = "oracle/bounded_reciprocity"

    def __init__(self):
        self.diagnostics: dict = {}

    def act(self, game, state, agents):
        if isinstance(game, ReciprocityGame):
            rho0, eta, kappa, lam, omega = game.rho0, game.eta, game.kappa_R, game.lambda_R, game.omega_R
            memory = game.memory_mean(state, fallback=state.last_action)
        else:
            rho0, eta, kappa, lam, omega = 1.0, 1.0, 1.0, 1.0, 0.0
            memory = state.last_action
        frac, base = state.last_action / game.e, game.baseline / game.e
        s = np.where(state.t[:, None] > 0, frac - memory / game.e, 0.0)
        T = state.T if game.trust_on else np.ones((state.batch, game.n, game.n))
        nxt = rc.evolution_step(np.where(state.t[:, None] > 0, frac, base), s, base, T, game.D, rho0, eta, kappa,
                                lam, omega, 1.0)
        return (np.clip(nxt, 0.0, 1.0) * game.e * state.active)[:, agents]


def _register() -> None:
    stationary = {
        "oracle/equilibrium": ("own", 1.0),
        "oracle/nash": ("payoff", None),
        "oracle/social_optimum": ("welfare", None),
        "oracle/reciprocity": ("own", 1.0),
    }
    for name, (objective, m) in stationary.items():
        register(name, (lambda name=name, o=objective, m=m: StationaryOracle(name, o, m)), kind="oracle",
                 family="game-theoretic", reference=REFERENCE)
    register("oracle/trust_aware", TrustAwareOracle, kind="oracle", family="game-theoretic", reference=REFERENCE)
    register("oracle/loyalty", LoyaltyOracle, kind="oracle", family="game-theoretic", reference=REFERENCE)
    register("oracle/bounded_reciprocity", BoundedReciprocityOracle, kind="oracle", family="game-theoretic",
             reference=REFERENCE)


_register()
