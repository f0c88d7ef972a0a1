"""AppleAppStore-v0: Apple, major and small developers, 2008-2024, quarter by quarter (TR-4 case study).

Five phases by quarter: launch Q1-16, expansion Q17-36, scrutiny Q37-48,
conflict Q49-54, reform Q55-66. ``phase="historical"`` (the default) plays all
66 quarters; a single phase plays its quarters only. Decision (SPEC gives the
shocks of the case study on a 0-1 action scale, not how an environment applies
them): a shock is an exogenous push to the shocked agent's *realised* action in
that quarter, a <- clip(a + shock * e, 0, e) — Q36 MajorDev -.15, SmallDev -.10;
Q48 MajorDev -.40, Apple -.25; Q54 Apple +.20 — which the partners then see,
remember and answer. Agents: 0 Apple, 1 MajorDev, 2 SmallDev.
"""
import numpy as np

from coopgym.mechanisms.trust import TrustParams
from coopgym.reciprocity_game import RECIPROCITY, RECIPROCITY_STAGES
from coopgym.spec import EnvSpec
from coopgym.stages import Stage

QUARTERS = {"launch": (1, 16), "expansion": (17, 36), "scrutiny": (37, 48), "conflict": (49, 54), "reform": (55, 66)}
SHOCKS = {36: (0.0, -0.15, -0.10), 48: (-0.25, -0.40, 0.0), 54: (0.20, 0.0, 0.0)}


def shock_table(game) -> dict:
    """shocks[q]: the push of quarter q for the quarters this game plays (q up to its first + horizon)."""
    first = game.plan.start + 1
    table = np.zeros((first + game.horizon + 1, game.n))
    for q, push in SHOCKS.items():
        if q < len(table):
            table[q] = push
    return {"shocks": table}


def historical_shocks(game, k, old, a):
    """a <- clip(a + shock(quarter) e, 0, e), the quarter of step t being start + 1 + t
    (beyond the horizon: the last quarter of the game)."""
    quarter = np.minimum(k.start + 1 + old.t, len(k.shocks) - 1)
    return np.minimum(np.maximum(a + k.shocks[quarter] * game.e, 0.0), game.e)


SPEC = EnvSpec(
    id="AppleAppStore-v0", mechanism="TR-4", family=RECIPROCITY,
    stages=(Stage("shock", "historical shocks of Q36, Q48 and Q54", historical_shocks, setup=shock_table),
            *RECIPROCITY_STAGES),
    n_agents=3, horizon=66, case="Apple iOS App Store (2008-2024)", agent_names=("Apple", "MajorDev", "SmallDev"),
    summary="platform and developers over 66 quarters, with the historical shocks of Q36, Q48 and Q54",
    params=dict(endowment=[100.0, 80.0, 60.0], D=[[0.0, 0.3, 0.2], [0.8, 0.0, 0.15], [0.85, 0.1, 0.0]],
                baseline=[30.0, 24.0, 18.0], rho0=1.0, eta=1.2, kappa=0.8, k=4, lambda_R=1.0, omega=0.8,
                trust=TrustParams(T0=0.6)),
    phases={name: {"horizon": last - first + 1} for name, (first, last) in QUARTERS.items()},
    default_phase="historical",
    schedule=tuple((name, last - first + 1) for name, (first, last) in QUARTERS.items()),
)
