"""What each oracle and learner optimises, in one sentence (``coopgym policies --json``).

The oracle and learner classes read their text from here, and the registry lists it beside
their names, so listing the policies imports neither the solvers nor torch.
"""

EVERY_TERM = ("private payoff, the trust-weighted spillovers m W pi (W = D min(T, 1 - R) along the trajectory; "
              "for m > 1 the cooperative blend), the agent's own loyalty / reciprocity terms, tiers, penalties "
              "and exclusion")

ORACLE_OBJECTIVES = {
    "oracle/equilibrium": ("stationary Nash equilibrium of the rewards in effect (the game's mutuality m; every term: "
        + EVERY_TERM + "), each agent's return the episode sum under constant actions"),
    "oracle/nash": ("stationary Nash equilibrium of the private rewards (mutuality 0 whatever the game's reward mode: "
        "the private payoff pi_i plus the agent's own loyalty / reciprocity terms, SPEC section 5 "
        "'private'); with loyalty 0 the TR-3 free-riding a*"),
    "oracle/social_optimum": ("stationary profile maximising the episode sum over agents of the rewards in effect (the game's "
        "mutuality m, every term; the cooperative blend keeps the sum, so every m >= 1 has the optimum "
        "of m = 1); searched from the best of the 101 constant profiles"),
    "oracle/trust_aware": ("stage-game Nash equilibrium of one step's rewards in effect (the game's mutuality m, every term) "
        "with the trust held at its current value, W = D min(T, 1 - R), plus trust-gated reciprocity "
        "rho = .20 to the partners' last actions (TR-2)"),
    "oracle/loyalty": ("TR-3 stage-game Nash equilibrium of the rewards in effect (the game's mutuality m: pi + L + "
        "spillovers) at the agents' current loyalty and trust; outside TR-3 (no loyalty state) the "
        "profile of oracle/equilibrium"),
    "oracle/reciprocity": ("reciprocity equilibrium: on the path the profile of oracle/equilibrium (rewards in effect at the "
        "game's mutuality m), a partner's deviation answered by the bounded trust-gated response of TR-4 Eq 44"),
    "oracle/bounded_reciprocity": ("TR-4 cooperation-evolution rule (bounded, memory-windowed, trust-gated reciprocity): a behavioural "
        "rule that optimises nothing"),
}

#: every learner's objective unless named in ``LEARNER_OBJECTIVES``
LEARNER_OBJECTIVE = ("each agent maximises its own discounted return of the reward the reward layer gives it "
                     "(the run's mutuality m), never the sum")
_FACTORISED = ("the common reward through one monotonic mixer under the cooperative reward (m = 2); otherwise "
               "each agent its own return through its own factorisation (discretised actions)")
LEARNER_OBJECTIVES = {
    "fcp": ("one policy for any seat maximising that seat's own return against a population of "
            "self-play partners (fictitious co-play)"),
    "lola": ("each agent maximises its own discounted return, differentiating through the partners' "
             "anticipated learning step (opponent shaping); never the partners' reward or the sum"),
    "m3ddpg": "each agent maximises its own return against a worst-case perturbation of its partners' actions",
    "qmix": _FACTORISED,
    "vdn": _FACTORISED,
}


def learner_objective(name: str) -> str:
    return LEARNER_OBJECTIVES.get(name, LEARNER_OBJECTIVE)
