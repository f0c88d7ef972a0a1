"""The seven oracles as policies (SPEC section 8), registered as ``oracle/...``.

Every oracle solves the reward the agents actually receive under the game's reward mode
(mutuality m, SPEC section 10): every term the reward layer pays (private payoff, the trust-weighted
spillovers, the cooperative blend, the agent's own loyalty / reciprocity terms) and every special
rule of the environment. Each states its objective in ``solves`` (``coopgym policies --json``).

Stationary oracles solve once per game in ``bind`` and play the profile. What they solve is the
*stationary game* of the environment: each agent commits to one action for the whole episode and
earns its episode sum, computed on the environment's own batched ``step`` (``oracles.solvers``), so
trust dynamics, tiers, penalties, exclusion, shocks and terminations all count, and the profile is
exactly what ``exploitability`` tests (no agent gains by a constant deviation). ``PROFILES``:

- ``oracle/equilibrium``: the Nash equilibrium of the rewards at the game's mutuality m.
  Decision (trust-weighting): W_ij = D_ij min(T_ij, 1 - R_ij) is evaluated along the trajectory the
  profile itself produces (neither the reset trust nor the t -> inf steady state is what an agent
  playing the profile for one episode experiences).
- ``oracle/nash``: the Nash equilibrium of the private rewards (m = 0: pi_i plus the agent's own
  mechanism terms; TR-3: the free-riding a* where loyalty is 0), whatever the game's mode.
- ``oracle/social_optimum``: the profile maximising the sum over agents of the rewards at m
  (the cooperative blend keeps the sum, so every m >= 1 solves as m = 1).
- Private-payoff quantities, named as such (not oracles): ``payoff_equilibrium`` (the Nash
  equilibrium of pi alone) and ``material_optimum`` (the maximum of sum_j pi_j), for the
  bargaining and Shapley tools of ``oracles.cooperative``.

Environments whose rules are plain TR-1 (TR-4 memory games included: U_recip vanishes under
constant play) are solved in closed form (``oracles.tr1`` at the reward layer's effective weights,
iterated to the fixed point W-bar(a*)) where that is exact (``closed_form_exact``), every other one
by batched best-response iteration on whole episodes (started from the closed form where there is
one). Diagnostics (``self.diagnostics``): what was solved, the method, convergence, the largest
remaining gain of a global constant deviation (absolute and relative), the solve time.

State-dependent oracles act from the current state:

- ``oracle/trust_aware`` (TR-2): the stage-game equilibrium of the rewards at m with the trust held at
  its current value (Decision: the trust the agents hold now weighs the partners, as in TR-2's
  utility; the step's own trust update is not anticipated): closed form for plain TR-1 rules,
  ``team_stage`` for TR-3, elsewhere the batched stage solver on ``solvers.held_trust`` started from
  the closed form; plus the trust-gated reciprocity term with rho = .20:
  a_i += .20 e_i mean_{j != i} T_ij tanh(kappa (a_j - b_j) / sigma_j) over the partners' last actions.
- ``oracle/loyalty`` (TR-3): the stage-game equilibrium of the rewards at m at the agents' current
  loyalty and trust (``team_stage``); outside TR-3 (no loyalty state) the ``oracle/equilibrium`` profile.
- ``oracle/reciprocity`` (TR-4): the reciprocity equilibrium: on the path it plays the
  ``oracle/equilibrium`` profile a*; a partner's deviation s_j = a_j - abar_j (TR-4 Eq 19-20, the
  environment's k-step memory; a_j - a*_j where it keeps none) is answered with the bounded,
  trust-gated response of TR-4 Eq 44:
  a_i = a*_i + alpha_r e_i sum_j lambda_R T_ij (1 + omega D_ij) rho_ij tanh(kappa s_j / sigma_j),
  alpha_r = .12 (SPEC section 4). Outside TR-4: rho0 = eta = kappa = lambda_R = 1, omega = 0.
- ``oracle/bounded_reciprocity`` (TR-4): the cooperation-evolution rule on fractions of the
  endowment, a <- a + alpha_r sum_j lambda_R T_ij (1 + omega D_ij) rho_ij phi(s_j) - delta (a - b),
  from the baseline (same parameters as above outside TR-4); it optimises nothing.
"""
from __future__ import annotations

import time

import numpy as np

from coopgym.mechanisms import collective as tc
from coopgym.mechanisms import reciprocity as rc
from coopgym.mechanisms import trust as tr
from coopgym.oracles import solvers, tr1
from coopgym.objectives import ORACLE_OBJECTIVES
from coopgym.policy import Policy
from coopgym.reciprocity_game import MEMORY, RECIPROCITY_UTILITY
from coopgym.registry import ORACLE_REFERENCE as REFERENCE
from coopgym.stages import TRUST_UPDATE, TRUST_WEIGHTS
from coopgym.team_game import LOYALTY
from coopgym.value_game import VALUE_PAYOFF

RECIPROCITY_RHO = 0.20
_SOLVED: dict[tuple, tuple[np.ndarray, dict]] = {}   # profiles shared by every oracle instance
#: the stages of plain TR-1 rules, which the first-order conditions solve (TR-4's reciprocity and
#: memory included: U_recip vanishes under constant play); any other rule needs the batched solver
CLOSED_FORM_STAGES = frozenset({TRUST_UPDATE, VALUE_PAYOFF, RECIPROCITY_UTILITY, TRUST_WEIGHTS, MEMORY})


def rules_key(game) -> tuple:
    """The rules a solved profile depends on besides the mutuality it is solved at: the environment
    (its stages), the params of every phase (``game.plan``), the horizon and the agent count. The
    observation preset and the reward scaling do not change anyone's best response; the game's
    own mutuality enters ``stationary_profile``'s key as the profile's (``profile_mutuality``)."""
    return (game.spec.id, game.plan, game.horizon, game.n)


def closed_form(game) -> bool:
    """Plain TR-1 rules: every stage of the game is one of ``CLOSED_FORM_STAGES`` and no agent
    joins or leaves."""
    return set(game.stages) <= CLOSED_FORM_STAGES and not game.VARIABLE_AGENTS


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
    p = game.params
    return tr1.equilibrium(game.e[None], W[None], game.alpha[None], np.array([p.gamma]), p.value,
                           p.theta, p.beta, a0=None if a0 is None else a0[None])


#: the stationary profiles: name -> (value of ``solvers.VALUES``, what is solved for that value)
PROFILES = {
    "equilibrium": "reward",                 # Nash equilibrium of the rewards at the game's mutuality m
    "private_equilibrium": "reward",         # ... at mutuality 0 (pi + the agent's own terms)
    "social_optimum": "welfare",             # maximum of the summed rewards at m
    "payoff_equilibrium": "payoff",          # private-payoff quantity: Nash equilibrium of pi alone
    "material_optimum": "material_welfare",  # private-payoff quantity: maximum of sum_j pi_j
}


def profile_mutuality(game, name: str) -> float | None:
    """The mutuality the profile ``name`` is solved at: the game's m (the summed rewards are the same
    for every m >= 1: the cooperative blend keeps the sum), 0 for ``private_equilibrium``, None where
    only private payoffs count."""
    if name not in PROFILES:
        raise ValueError(f"unknown stationary profile {name!r}; choose one of {list(PROFILES)}")
    if name == "private_equilibrium":
        return 0.0
    if PROFILES[name] == "reward":
        return float(game.m)
    if PROFILES[name] == "welfare":
        return min(float(game.m), 1.0)
    return None


def closed_form_exact(game, value: str, m: float | None) -> bool:
    """Whether the TR-1 first-order conditions with the episode-mean weights W-bar solve ``value`` exactly.

    Under constant play W_ij(t) moves only with j's action (i's trust in j reads j's signal), so an
    agent's own reward sum_j M_ij(W-bar) pi_j has fixed weights when M_ij involves only i's row of W:
    m <= 1. For m > 1 (r_i includes (m - 1) / n sum_k W_ki pi_i) and for the summed rewards at m > 0
    (which include W_ji pi_i), agent i's action moves its own weights, so with trust on the batched
    solver decides."""
    return (value in ("payoff", "material_welfare") or not game.trust_on or m == 0.0
            or (value == "reward" and m <= 1.0))


def solve_closed_form(game, value: str, m: float | None) -> tuple[np.ndarray, dict]:
    """Stationary profile of plain TR-1 rules from the first-order conditions (``oracles.tr1``) of
    the rewards at mutuality m (``tr1.effective_weights`` of the reward layer's matrix at W-bar);
    with trust on, iterated to the fixed point W-bar(a*)."""
    n = game.n
    if value in ("payoff", "material_welfare"):
        W = np.zeros((n, n)) if value == "payoff" else 1.0 - np.eye(n)
        sol, it, W_bar = _tr1(game, W), 1, None
    else:
        kind = "nash" if value == "reward" else "welfare"

        def weights(a):
            W_bar = mean_weights(game, a)
            return W_bar, tr1.effective_weights(tr1.reward_matrix(W_bar, m), kind)

        W_bar, W = weights(0.5 * game.e)
        sol, it = _tr1(game, W), 1
        while game.trust_on and m > 0 and it < 100:
            it += 1
            W_bar, W = weights(sol.actions[0])
            new = _tr1(game, W, sol.actions[0])
            done = np.abs(new.actions - sol.actions).max() <= 1e-11 * game.e.max()
            sol = new
            if done:
                break
    diag = {"method": "closed form (TR-1 first-order conditions, Newton best responses)", "iterations": it,
            "max_foc_residual": float(sol.residual.max()), "W": np.round(W, 6).tolist(),
            "fc_converged": bool(sol.converged.all())}
    if W_bar is not None:
        diag["W_bar"] = np.round(W_bar, 6).tolist()
    return sol.actions[0], diag


def constant_profiles(game, levels: int = 101) -> np.ndarray:
    """The profiles of the constant policies constant/0 ... constant/100: a_i = level % of e_i."""
    return np.linspace(0.0, 1.0, levels)[:, None] * game.e[None]


def stationary_profile(game, name: str) -> tuple[np.ndarray, dict]:
    """The stationary profile ``name`` of ``PROFILES`` on ``game``, solved once per process and key
    (the value, the mutuality it is solved at, the game's rules). Diagnostics: what was solved, the
    method, convergence, the largest gain of a global constant deviation (absolute and relative)."""
    value, m = PROFILES.get(name), profile_mutuality(game, name)
    key = (value, m, rules_key(game))
    if key not in _SOLVED:
        g = solvers.with_mutuality(game, 0.0 if m is None else m)
        kind = "nash" if value in ("reward", "payoff") else "welfare"
        start = time.perf_counter()
        a = None
        if closed_form(game):
            a, diag = solve_closed_form(g, value, m)
        if a is not None and closed_form_exact(game, value, m):
            f = solvers.episode_objective(g, value)
            symmetric = bool(np.allclose(a, a[0], rtol=1e-12, atol=0.0)) and solvers.is_symmetric(f, game.e)
            cert = solvers.certify(f, a[None], np.zeros((1, game.n)), game.e[None], settled=True,
                                   symmetric=symmetric, kind=kind)
            diag.update(converged=diag.pop("fc_converged") and diag["max_foc_residual"] < 1e-6,
                        max_gain=float(cert.max_gain[0]), relative_gain=float(cert.relative_gain[0]))
        else:   # the batched solver, from the closed form where there is one
            starts = constant_profiles(game) if kind == "welfare" else None
            if value == "reward" and m == 2.0:   # every reward is the team mean: start from the optimum
                a = stationary_profile(game, "social_optimum")[0]
            sol = solvers.stationary(g, value, seeds=None, a0=a, starts=starts)
            a = sol.actions[0]
            diag = {"method": "batched best-response iteration on whole episodes"
                              + (" from the closed form" if closed_form(game) else ""), **sol.diagnostics()}
        diag.update(mutuality=m, seconds=round(time.perf_counter() - start, 3))
        _SOLVED[key] = (a, diag)
    return _SOLVED[key]


class OracleBase(Policy):
    kind, family, reference = "oracle", "game-theoretic", REFERENCE
    solves = ""

    def __init__(self):
        self.diagnostics: dict = {}

    @property
    def objective(self) -> str:
        """What the oracle solves (``coopgym policies --json``)."""
        return self.solves

    def describe(self) -> str:
        return f"{self.name}: {self.solves}"


class StationaryOracle(OracleBase):
    """Solves the stationary game once per game (``stationary_profile``) and plays the profile."""

    profile_name = "equilibrium"

    def __init__(self):
        super().__init__()
        self._cache: dict[int, tuple[object, np.ndarray]] = {}

    def profile(self, game) -> np.ndarray:
        hit = self._cache.get(id(game))
        if hit is None or hit[0] is not game:     # the game is kept, so its id is not reused
            a, diag = stationary_profile(game, self.profile_name)
            self._cache[id(game)] = hit = (game, a)
            self.diagnostics = {"solves": self.solves, **diag}
        return hit[1]

    def bind(self, game):
        self.profile(game)
        return self

    def act(self, game, state, agents):
        a = np.broadcast_to(self.profile(game), (state.batch, game.n))
        return np.where(state.active, a, 0.0)[:, agents]


class EquilibriumOracle(StationaryOracle):
    name, profile_name = "oracle/equilibrium", "equilibrium"
    solves = ORACLE_OBJECTIVES["oracle/equilibrium"]


class NashOracle(StationaryOracle):
    name, profile_name = "oracle/nash", "private_equilibrium"
    solves = ORACLE_OBJECTIVES["oracle/nash"]


class SocialOptimumOracle(StationaryOracle):
    name, profile_name = "oracle/social_optimum", "social_optimum"
    solves = ORACLE_OBJECTIVES["oracle/social_optimum"]


def team_stage(game, state) -> tuple[np.ndarray, dict]:
    """TR-3 stage-game equilibrium of the rewards at the game's mutuality m, at the current loyalty and trust.

    Rewards are r = M pi + N L (``tr1.reward_matrix``: M = I + m W for m <= 1, the cooperative blend
    above), pi_k = Q / |S| - c a_k for members k of the team S, L_k = theta_k (phi_B mean_{j in S, j != k}
    pi_j + phi_C c a_k). With q = omega beta Q'(sum) / |S|, member i's marginal reward is q A_i - c B_i:

        A_i = sum_{k in S} M_ik + phi_B sum_{k in S} N_ik theta_k,
        B_i = M_ii - phi_C N_ii theta_i + phi_B / (|S| - 1) sum_{k in S, k != i} N_ik theta_k

    (phi_B terms only when |S| > 1; m = 0 gives A = 1 + phi_B theta, B = 1 - phi_C theta, the TR-3
    utility). Its best response depends only on A_i / B_i, so ``collective.equilibrium`` with
    loyalty A_i / B_i - 1, phi_B = 1, phi_C = 0 has the same best responses (FOC residual scaled by 1 / B_i)."""
    omega, p = game.constants(state).omega, game.params
    members = game.members(state)
    mask = state.active if members is None else members
    B, n = state.batch, game.n
    theta = state.extra["loyalty"]
    W = game.weights(state)
    W = np.zeros((B, n, n)) if W is None else np.broadcast_to(W, (B, n, n))
    active = state.active if game.VARIABLE_AGENTS else None
    M = tr1.reward_matrix(W, game.m, active=active)
    N = tr1.reward_matrix(W, game.m, own=True, active=active)
    size = mask.sum(axis=1, keepdims=True)
    loyal = np.where(size > 1, p.phi_B, 0.0) * theta * mask                    # phi_B theta_k over members
    N_ii, M_ii = np.diagonal(N, axis1=1, axis2=2), np.diagonal(M, axis1=1, axis2=2)
    spread = (N * loyal[:, None, :]).sum(axis=2)
    A = (M * mask[:, None, :]).sum(axis=2) + spread
    Bc = M_ii - p.phi_C * N_ii * theta + (spread - N_ii * loyal) / np.maximum(size - 1, 1)
    ratio = np.where(Bc > 0, A / np.where(Bc > 0, Bc, 1.0), 1e12)             # B <= 0: effort always pays
    ratio = np.where(mask, ratio, 1.0)                                          # non-members act 0 anyway
    sol = tc.equilibrium(ratio - 1.0, omega, p.beta, p.c, 1.0, 0.0, game.e.min(), members=mask)
    return sol.actions, {"method": "closed-form TR-3 best responses (collective)", "iterations": sol.iterations,
                         "converged": bool(np.all(sol.converged)), "max_foc_residual": float(np.max(sol.residual))}


def _trust(game, state) -> np.ndarray:
    return state.T if game.trust_on else np.ones((state.batch, game.n, game.n))


def tr1_stage(game, state) -> tr1.TR1Solution:
    """The TR-1 stage-game equilibrium of the rewards at the game's m with the trust held at its current
    value (``tr1.effective_weights`` of the reward layer's matrix at W = D min(T, 1 - R)), per game."""
    B, n, p = state.batch, game.n, game.params
    W = game.weights(state) if game.trust_on else np.broadcast_to(game.D, (B, n, n))
    W = tr1.effective_weights(tr1.reward_matrix(np.broadcast_to(W, (B, n, n)), game.m))
    shape = (B, n)
    return tr1.equilibrium(np.broadcast_to(game.e, shape), W, np.broadcast_to(game.alpha, shape),
                           np.full(B, p.gamma), p.value, p.theta, p.beta)


def stage_closed_form(game) -> bool:
    """Plain TR-1 rules whose stage rewards the closed form covers: for m > 1 a TR-4 agent's reward
    includes its partners' reciprocity terms, which its own deviation moves (the batched solver then)."""
    return closed_form(game) and (game.m <= 1.0 or RECIPROCITY_UTILITY not in game.stages)


class TrustAwareOracle(StationaryOracle):
    name = "oracle/trust_aware"
    solves = ORACLE_OBJECTIVES["oracle/trust_aware"]

    def bind(self, game):
        return self

    def act(self, game, state, agents):
        if LOYALTY in game.stages:
            a, diag = team_stage(game, state)
        else:
            sol = tr1_stage(game, state)
            a, diag = sol.actions, {"method": "closed form at the current trust", "iterations": sol.iterations,
                                    "converged": bool(sol.converged.all()),
                                    "max_foc_residual": float(sol.residual.max())}
            if not stage_closed_form(game):   # special rules: the batched stage solver, from the closed form
                sol = solvers.stage(solvers.held_trust(game), state, "reward", a0=a, tol=1e-6, max_sweeps=50,
                                    width0=0.02 * game.e)
                a, diag = sol.actions, {"method": "batched stage best responses at the current state",
                                        **sol.diagnostics()}
        if game.trust_on:   # trust-gated reciprocity to the partners' last actions
            gain = tr.signal_gain(game.trust_params.kappa, game.sigma)
            signal = tr.trust_signal(state.last_action, game.baseline, gain)
            signal = np.where(state.t[:, None] > 0, signal, 0.0)
            answer = (state.T * signal[:, None, :]).sum(axis=2) / max(game.n - 1, 1)
            a = np.clip(a + RECIPROCITY_RHO * game.e * answer, 0.0, game.e)
        self.diagnostics = {"solves": self.solves, **diag}
        return np.where(state.active, a, 0.0)[:, agents]


class LoyaltyOracle(StationaryOracle):
    name = "oracle/loyalty"
    solves = ORACLE_OBJECTIVES["oracle/loyalty"]

    def bind(self, game):
        return self if LOYALTY in game.stages else super().bind(game)

    def act(self, game, state, agents):
        if LOYALTY not in game.stages:
            return super().act(game, state, agents)
        a, diag = team_stage(game, state)
        self.diagnostics = {"solves": self.solves, **diag}
        return np.where(state.active, a, 0.0)[:, agents]


def reciprocity_parameters(game):
    """(rho0, eta, kappa, lambda_R, omega) of a TR-4 game; 1, 1, 1, 1, 0 elsewhere."""
    if RECIPROCITY_UTILITY in game.stages:
        p = game.params
        return p.rho0, p.eta, p.kappa, p.lambda_R, p.omega
    return 1.0, 1.0, 1.0, 1.0, 0.0


class ReciprocityOracle(StationaryOracle):
    name = "oracle/reciprocity"
    solves = ORACLE_OBJECTIVES["oracle/reciprocity"]

    def act(self, game, state, agents):
        base = np.broadcast_to(self.profile(game), (state.batch, game.n))
        if MEMORY in game.stages:
            memory = rc.memory_mean(state.extra["memory"], state.t, fallback=state.last_action)
        else:
            memory = base
        s = np.where(state.t[:, None] > 0, state.last_action - memory, 0.0)
        push = rc.reciprocity_utility(s, _trust(game, state), game.D, *reciprocity_parameters(game), game.sigma)
        a = np.clip(base + rc.ALPHA_R * game.e * push, 0.0, game.e)
        self.diagnostics = {**self.diagnostics, "max_response": float(np.abs(a - base).max())}
        return np.where(state.active, a, 0.0)[:, agents]


class BoundedReciprocityOracle(OracleBase):
    name = "oracle/bounded_reciprocity"
    solves = ORACLE_OBJECTIVES["oracle/bounded_reciprocity"]

    def act(self, game, state, agents):
        rho0, eta, kappa, lam, omega = reciprocity_parameters(game)
        if MEMORY in game.stages:
            memory = rc.memory_mean(state.extra["memory"], state.t, fallback=state.last_action)
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
