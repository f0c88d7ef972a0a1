"""Stages: the named rules a game's step is made of, and the one order they run in.

An environment's spec lists its stages; ``Game.step`` runs them kind by kind in
``ORDER`` (the core's own steps marked [core]):

    [core]   the actions are checked (finite, shape (B, n)) and clipped to [0, e_i];
             agents out of the game act 0
    shock    exogenous changes of the realised actions        a <- shock(game, k, old, a)
    trust    the TR-2 update of T and R (pre-step values)     trust(game, k, old, new, a), sets new.T, new.R
    payoff   the family's private payoffs pi                  pi = payoff(game, k, old, new, a)
    adjust   an environment's special payoff rule             pi = adjust(game, k, old, new, a, pi)
    own      the agents' own mechanism terms (L_i, U_recip)   own = own(game, k, old, new, a)
    weights  the interdependence weights of the reward layer  W = weights(game, k, state)  (state = new)
    [core]   the reward layer with mutuality m (``coopgym.rewards``), then reward scaling
    [core]   the phase schedule: who is in the game at the new step
    state    per-game state, in the listed order              update(game, k, old, new, a), sets new.extra[...]
    end      termination (any stage ends the episode)         done = end(game, new);  [core] truncation t >= horizon

``k`` holds the step's constants, batch-shaped, with any phase-dependent value
taken at the pre-step ``old.t`` (``Game.constants``). Stages never mutate an input
array: the state they receive is new.

A "state" stage also starts its state at reset (``init(game, state, options,
previous)``, filling ``state.extra``), may accept reset options, and may show
features in the observation (``shared(game, state)``: a list of (B, k) arrays every
agent sees; ``per_agent(game, state)``: a list of (B, n, k) arrays), in listed order.
Any stage may add constants to ``k`` (``setup(game) -> dict``, once per game; it may
also reject an impossible configuration).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from coopgym.mechanisms import trust as tr
from coopgym.mechanisms import value as tv

ORDER = ("shock", "trust", "payoff", "adjust", "own", "weights", "state", "end")
#: kinds a game has exactly one of
SINGLE = ("payoff", "weights")


@dataclass(frozen=True, eq=False)
class Stage:
    """One rule of a game's step: where it runs (``kind``, one of ``ORDER``) and what it is (``name``)."""

    kind: str
    name: str
    run: Callable | None = None
    init: Callable | None = None
    shared: Callable | None = None
    per_agent: Callable | None = None
    setup: Callable | None = None
    reset_options: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in ORDER:
            raise ValueError(f"stage {self.name!r}: unknown kind {self.kind!r}; kinds run in the order {ORDER}")
        if self.kind != "state" and (self.init or self.shared or self.per_agent or self.reset_options):
            raise ValueError(f"stage {self.name!r}: only 'state' stages keep state and show features")
        if self.run is None and self.kind != "state":
            raise ValueError(f"stage {self.name!r}: a {self.kind!r} stage needs a function to run")

    def __repr__(self) -> str:
        return f"<{self.kind} stage {self.name!r}>"


def check_stages(owner: str, stages: tuple[Stage, ...]) -> None:
    """The stages are listed in ``ORDER`` (the listing is the order they run in), with one payoff and one
    weights stage, at most one own-terms stage, and distinct names."""
    rank = [ORDER.index(s.kind) for s in stages]
    if rank != sorted(rank):
        listed = [f"{s.kind}:{s.name}" for s in stages]
        raise ValueError(f"{owner}: stages must be listed in the order {ORDER}, got {listed}")
    for kind in SINGLE:
        count = sum(s.kind == kind for s in stages)
        if count != 1:
            raise ValueError(f"{owner}: a game has exactly one {kind!r} stage, got {count}")
    if sum(s.kind == "own" for s in stages) > 1:
        raise ValueError(f"{owner}: a game has at most one 'own' stage")
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise ValueError(f"{owner}: stage names must be distinct, got {names}")


# ---- the TR-2 stages every family shares --------------------------------------------------------------------


def _trust_update(game, k, old, new, a):
    """TR-2 update of every ordered pair from the pre-step T and R (SPEC section 2), on the signal
    s_j = tanh(kappa (a_j - b_j) / sigma_j); while a phase schedule moves agents, only the pairs of
    agents in the game."""
    s = tr.trust_signal(a, k.baseline, k.signal_gain)
    pairs = (old.active[:, :, None] & old.active[:, None, :]) if game.plan.moves_agents else None
    new.T, new.R = tr.trust_update(old.T, old.R, s, game.D, game.trust_params, mask=pairs, rates=k.rates)


def _trust_weights(game, k, state):
    """W = D min(T, 1 - R) with trust (TR-2), D without (TR-1 Eq 13)."""
    return tv.trust_weights(k.D, state.T, state.R) if game.trust_on else game.D


TRUST_UPDATE = Stage("trust", "TR-2 trust and reputation update", _trust_update)
TRUST_WEIGHTS = Stage("weights", "trust-weighted interdependence", _trust_weights)
