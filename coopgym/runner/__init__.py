"""The runner: run plans, execution backends (local processes, Ray), the run ledger, the corpus,
the leaderboard and the report.

A run is a pure function of its :class:`RunConfig`; the executor
(``coopgym.runner.execute.execute``) turns one into a :class:`RunRecord`.
Import the heavier parts from their modules: ``plan``, ``ledger``,
``backends``, ``sweep``, ``stats``, ``corpus``, ``leaderboard``, ``report``.
"""
from .records import REWARD_MODES, RunConfig, RunRecord, library_versions, utc_now

__all__ = ["REWARD_MODES", "RunConfig", "RunRecord", "library_versions", "utc_now"]
