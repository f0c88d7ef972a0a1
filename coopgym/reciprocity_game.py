"""The TR-4 game: TR-1 payoffs and TR-2 trust plus reciprocity with memory (SPEC section 4).

Each agent's own mechanism term is the reciprocity utility (TR-4 Eq 44-45),
added to the payoff, not multiplied into it (SPEC Decision):

    U_recip,i = lambda_R sum_j T_ij (1 + omega D_ij) rho_ij phi(s_j / sigma_j),
    rho_ij = rho0 D_ij ** eta,  phi(x) = tanh(kappa x),  s_j = a_j(t) - abar_j(t),

abar_j(t) the mean of j's actions over the last min(k, t - 1) steps (s = 0 on
the first step, when there is no memory). T is the trust after this step's
update, as for every reward of the step.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from coopgym.game import CoopetitionGame, nonnegative
from coopgym.mechanisms import reciprocity as rc


class ReciprocityGame(CoopetitionGame):
    PARAMS: ClassVar[dict] = {
        **CoopetitionGame.PARAMS,
        "rho0": 1.0, "eta": 1.0, "kappa": 1.0, "k": 5, "lambda_R": 1.0, "omega": 0.6,
    }

    def configure(self, p):
        super().configure(p)
        self.rho0, self.eta = nonnegative("rho0", p["rho0"]), nonnegative("eta", p["eta"])
        self.kappa_R, self.lambda_R = nonnegative("kappa", p["kappa"]), nonnegative("lambda_R", p["lambda_R"])
        self.omega_R = nonnegative("omega", p["omega"])
        k = p["k"]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"memory length k must be a positive integer, got {k!r}")
        self.k = int(k)

    def init_extra(self, state, options, previous):
        state.extra["memory"] = np.zeros((state.batch, self.k, self.n))

    def memory_mean(self, state, fallback=None) -> np.ndarray:
        """abar (B, n): mean of the last min(k, t) actions (the current step not included);
        ``fallback`` where there is no memory yet (t = 0)."""
        return rc.memory_mean(state.extra["memory"], state.t, fallback=fallback)

    def payoff(self, old, new, a):
        pi, _ = super().payoff(old, new, a)
        s = rc.deviation(a, self.memory_mean(old, fallback=a))   # no memory yet: no deviation
        T = new.T if self.trust_on else np.ones((old.batch, self.n, self.n))
        own = rc.reciprocity_utility(s, T, self.D, self.rho0, self.eta, self.kappa_R, self.lambda_R,
                                     self.omega_R, self.sigma)
        return pi, own

    def advance(self, old, new, a):
        new.extra["memory"], _ = rc.push_history(old.extra["memory"], old.t, a)

    def shared_features(self, state):
        return [self.memory_mean(state, fallback=0.0) / self.e]
