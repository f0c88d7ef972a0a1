"""DynamicPartnerSelection-v0: agents are paired each step by public reputation (TR-1/TR-2).

SPEC Decision: partners are really selected. Each step the agents are ranked
by public reputation (ties broken by the game's seeded stream) and paired
best-with-best; each pair plays the two-agent TR-1 game and updates the
TR-2 trust of that pair only, and the reward layer weighs only the partner's
payoff. Then public reputation <- .9 rep + .1 a / e, and the agents are paired
again for the next step: the pairing in the state is the one that plays next.
"""
import numpy as np

from coopgym import rng
from coopgym.mechanisms import trust as tr
from coopgym.mechanisms import value as tv
from coopgym.mechanisms.trust import TrustParams
from coopgym.spec import EnvSpec
from coopgym.stages import TRUST_WEIGHTS, Stage
from coopgym.value_game import VALUE, value

INITIAL_REPUTATION = 0.5


def pair(game, state) -> np.ndarray:
    """partner[b, i]: assortative matching on reputation, best with best; seeded tie-breaks."""
    noise = rng.uniform(state.keys, state.t, stream=2, shape=(game.n,))
    order = np.lexsort((noise, -state.extra["reputation"]), axis=-1)
    partner = np.empty_like(order)
    np.put_along_axis(partner, order[:, 0::2], order[:, 1::2], axis=-1)
    np.put_along_axis(partner, order[:, 1::2], order[:, 0::2], axis=-1)
    return partner


def pair_mask(game, state) -> np.ndarray:
    """(B, n, n) true where j is i's partner."""
    return state.extra["partner"][:, :, None] == np.arange(game.n)


def partner_trust(game, k, old, new, a):
    """The TR-2 update of the pairs that played."""
    s = tr.trust_signal(a, k.baseline, k.signal_gain)
    new.T, new.R = tr.trust_update(old.T, old.R, s, game.D, game.trust_params, mask=pair_mask(game, old), rates=k.rates)


def partner_payoff(game, k, old, new, a):
    """Each pair's TR-1 game: pi_i = e_i - a_i + f(a_i) + alpha_i / (alpha_i + alpha_p) gamma g(a_i, a_p)."""
    partner = old.extra["partner"]
    a_p = np.take_along_axis(a, partner, axis=-1)
    g = tv.synergy(np.stack([a, a_p], axis=-1))  # the pair's synergy, per agent
    share = game.alpha / (game.alpha + game.alpha[partner])
    return game.e - a + value(k, a) + share * k.gamma * g


def partner_weights(game, k, state):
    """The trust-weighted interdependence of the pairs in ``state`` only."""
    return TRUST_WEIGHTS.run(game, k, state) * pair_mask(game, state)


def start_reputation(game, state, options, previous):
    keep = options.get("keep_reputation", False)
    if not isinstance(keep, (bool, np.bool_)):
        raise ValueError(f"keep_reputation must be True or False, got {keep!r}")
    if keep and previous is not None:
        state.extra["reputation"] = previous.extra["reputation"].copy()
    else:
        state.extra["reputation"] = np.full((state.batch, game.n), INITIAL_REPUTATION)


def update_reputation(game, k, old, new, a):
    new.extra["reputation"] = 0.9 * old.extra["reputation"] + 0.1 * a / game.e


def reputation_feature(game, state):
    return [state.extra["reputation"]]


def even_agents(game) -> dict:
    if game.n % 2:
        raise ValueError(f"{game.spec.id}: n_agents must be even (agents play in pairs), got {game.n}")
    return {}


def first_pairs(game, state, options, previous):
    state.extra["partner"] = pair(game, state)


def next_pairs(game, k, old, new, a):
    new.extra["partner"] = pair(game, new)


def partner_feature(game, state):
    return [pair_mask(game, state).astype(np.float64)]


SPEC = EnvSpec(
    id="DynamicPartnerSelection-v0", mechanism="TR-1", family=VALUE,
    stages=(Stage("trust", "TR-2 trust update of the pairs", partner_trust),
            Stage("payoff", "TR-1 value creation in pairs", partner_payoff),
            Stage("weights", "trust-weighted interdependence of the partner", partner_weights),
            Stage("state", "public reputation", update_reputation, init=start_reputation, shared=reputation_feature,
                  reset_options=("keep_reputation",)),
            Stage("state", "pairing by reputation", next_pairs, init=first_pairs, per_agent=partner_feature,
                  setup=even_agents)),
    n_agents=6, n_range=(2, 64), horizon=50,
    summary="agents are paired each step by public reputation (best with best) and play the pair game",
    params=dict(endowment=100.0, D=0.40, theta=18.0, gamma=0.55, baseline=35.0,
                trust=TrustParams.of(0.12, 0.35, 0.60, 0.015, 0.45, 1.2, 0.50)),
)
