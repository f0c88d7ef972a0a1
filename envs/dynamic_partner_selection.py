"""DynamicPartnerSelection-v0: agents are paired each step by public reputation (TR-1/TR-2).

SPEC Decision: partners are really selected. Each step the agents are ranked
by public reputation (ties broken by the game's seeded stream) and paired
best-with-best; each pair plays the two-agent TR-1 game and updates the
TR-2 trust of that pair only. Public reputation <- .9 rep + .1 a / e.
"""
import numpy as np

from coopgym import rng
from coopgym.game import CoopetitionGame
from coopgym.mechanisms import trust as tr
from coopgym.mechanisms import value as tv
from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec

INITIAL_REPUTATION = 0.5


class DynamicPartnerSelection(CoopetitionGame):
    RESET_OPTIONS = ("keep_reputation",)

    def configure(self, p):
        if self.n % 2:
            raise ValueError(f"{self.spec.id}: n_agents must be even (agents play in pairs), got {self.n}")
        super().configure(p)

    def init_extra(self, state, options, previous):
        keep = options.get("keep_reputation", False)
        if not isinstance(keep, (bool, np.bool_)):
            raise ValueError(f"keep_reputation must be True or False, got {keep!r}")
        if keep and previous is not None:
            state.extra["reputation"] = previous.extra["reputation"].copy()
        else:
            state.extra["reputation"] = np.full((state.batch, self.n), INITIAL_REPUTATION)
        state.extra["partner"] = self.pair(state)

    def pair(self, state) -> np.ndarray:
        """partner[b, i]: assortative matching on reputation, best with best; seeded tie-breaks."""
        noise = rng.uniform(state.keys, state.t, stream=2, shape=(self.n,))
        order = np.lexsort((noise, -state.extra["reputation"]), axis=-1)
        partner = np.empty_like(order)
        np.put_along_axis(partner, order[:, 0::2], order[:, 1::2], axis=-1)
        np.put_along_axis(partner, order[:, 1::2], order[:, 0::2], axis=-1)
        return partner

    def pair_mask(self, state) -> np.ndarray:
        """(B, n, n) true where j is i's partner this step."""
        return state.extra["partner"][:, :, None] == np.arange(self.n)

    def update_trust(self, old, new, a):
        s = tr.trust_signal(a, self.baseline, self.sigma, self.trust_params.kappa)
        new.T, new.R = tr.trust_update(old.T, old.R, s, self.D, self.trust_params, mask=self.pair_mask(old))

    def payoff(self, old, new, a):
        partner = old.extra["partner"]
        a_p = np.take_along_axis(a, partner, axis=-1)
        g = tv.synergy(np.stack([a, a_p], axis=-1))  # the pair's synergy, per agent
        share = self.alpha / (self.alpha + self.alpha[partner])
        pi = self.e - a + self.value(a) + share * self.gamma * g
        return pi, None

    def weights(self, state):
        return super().weights(state) * self.pair_mask(state)  # before advance: the pair just played

    def advance(self, old, new, a):
        new.extra["reputation"] = 0.9 * old.extra["reputation"] + 0.1 * a / self.e
        new.extra["partner"] = self.pair(new)

    def shared_features(self, state):
        return [state.extra["reputation"]]

    def agent_features(self, state):
        return [self.pair_mask(state).astype(np.float64)]


SPEC = EnvSpec(
    id="DynamicPartnerSelection-v0", mechanism="TR-1", game=DynamicPartnerSelection, n_agents=6,
    n_range=(2, 64), horizon=50,
    summary="agents are paired each step by public reputation (best with best) and play the pair game",
    params=dict(endowment=100.0, D=0.40, theta=18.0, gamma=0.55, baseline=35.0,
                trust=TrustParams.of(0.12, 0.35, 0.60, 0.015, 0.45, 1.2, 0.50)),
)
