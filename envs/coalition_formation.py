"""CoalitionFormation-v0: a coalition that excludes disloyal members and lets them back (TR-3).

SPEC Decision: only members share the team output (Q of the members' efforts,
split among the members); an excluded agent gets no share and still bears its
effort cost. After each step's loyalty update: members with loyalty < .15 are
excluded, lowest loyalty first, never below the minimum size 3; an agent
excluded for at least 5 steps whose loyalty is >= .4 re-enters. The episode
terminates if the coalition falls below 3.
"""
import numpy as np

from coopgym.spec import EnvSpec
from coopgym.stages import Stage
from coopgym.team_game import TEAM, TEAM_STAGES

MIN_SIZE = 3
EXCLUDE_BELOW = 0.15
REENTRY_AFTER = 5
REENTRY_LOYALTY = 0.4


def everyone_in(game, state, options, previous):
    state.extra["member"] = np.ones((state.batch, game.n), dtype=bool)
    state.extra["excluded_for"] = np.zeros((state.batch, game.n), dtype=np.int64)


def exclude_and_readmit(game, k, old, new, a):
    """Exclusion of the lowest-loyalty candidates (keeping MIN_SIZE members), re-entry after waiting."""
    loyalty, member = new.extra["loyalty"], old.extra["member"]
    candidate = member & (loyalty < EXCLUDE_BELOW)
    room = np.maximum(member.sum(axis=1) - MIN_SIZE, 0)
    rank = np.argsort(np.argsort(np.where(candidate, loyalty, np.inf), axis=1, kind="stable"), axis=1)
    excluded_now = candidate & (rank < room[:, None])
    waited = np.where(member, 0, old.extra["excluded_for"] + 1)
    returns = ~member & (waited >= REENTRY_AFTER) & (loyalty >= REENTRY_LOYALTY)
    new.extra["member"] = (member & ~excluded_now) | returns
    new.extra["excluded_for"] = np.where(new.extra["member"], 0, waited)


def membership_feature(game, state):
    return [state.extra["member"][:, :, None].astype(np.float64)]


def coalition_too_small(game, state) -> np.ndarray:
    return state.extra["member"].sum(axis=1) < MIN_SIZE


SPEC = EnvSpec(
    id="CoalitionFormation-v0", mechanism="TR-3", family=TEAM,
    stages=(*TEAM_STAGES,
            Stage("state", "coalition membership", exclude_and_readmit, init=everyone_in,
                  per_agent=membership_feature),
            Stage("end", "coalition below 3 members", coalition_too_small)),
    n_agents=6, n_range=(3, 64), horizon=150,
    summary="members with loyalty < .15 are excluded (no share, still pay effort); re-entry after 5 steps at >= .4",
    params=dict(endowment=50.0, omega=25.0, beta=0.7, c=1.0, phi_B=0.7, phi_C=0.3),
    terminates="coalition smaller than 3",
)
