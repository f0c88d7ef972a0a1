"""The two ends of a scenario's scale (SPEC section 10): random focal (0) and the best focal response (1).

Both are computed, never typed: every candidate plays the focal seats against the
scenario's background on the reference games (seed 0, ``scenario.episodes`` episodes),
all candidates in one batch (``play``), and the focal per-capita return of each is
its mean over those games.

- 0: ``heuristic/random`` in the focal seats.
- 1: the best of every reference policy in the focal seats: the 101 constants (one level
  in all focal seats), the oracles (each plays its own profile's focal components) and
  ``heuristic/tit_for_tat`` (SPEC section 10 puts it in the reference set). A learner
  that beats all of them scores above 1.

References are cached in memory and on disk (``$COOPGYM_CACHE``, default
``~/.cache/coopgym``), keyed by a fingerprint of the scenario and of the source of
everything play depends on (games, environments, policies, oracles), so an edit to
the rules recomputes them.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from coopgym.runner.stats import MIN_SPAN
from coopgym.scenarios.catalogue import Scenario
from coopgym.scenarios.play import make_player, play_scenario

RANDOM = "heuristic/random"


@dataclass(frozen=True)
class References:
    scenario: str
    random: float                  # focal per-capita return of heuristic/random
    best: float                    # focal per-capita return of the best candidate
    best_policy: str
    candidates: dict[str, float] = field(repr=False)   # every candidate's focal per-capita return
    episodes: int = 0
    seconds: float = 0.0           # wall time of the computation (0 when read from the cache is not set)
    fingerprint: str = ""

    def normalise(self, value: float) -> tuple[float | None, str]:
        """(value - random) / (best - random), or None with the reason the scale is degenerate.

        Degenerate: the best focal response beats random focal by less than MIN_SPAN x |best| (the
        leaderboard's rule), where a normalised score would blow differences up or flip their sign."""
        span = self.best - self.random
        if not np.isfinite(span) or span < MIN_SPAN * abs(self.best):
            return None, (f"degenerate scale: the best focal response {self.best_policy} ({self.best:.4g}) beats "
                          f"random focal ({self.random:.4g}) by less than {MIN_SPAN:.0%} of its return")
        return (value - self.random) / span, ""


def candidate_names() -> list[str]:
    """The best-response candidates, from the registry: every constant, every oracle, tit-for-tat."""
    from coopgym.registry import policy_names

    return policy_names("constant") + policy_names("oracle") + ["heuristic/tit_for_tat"]


def compute(scenario: Scenario) -> References:
    """Every candidate (and random) in the focal seats on the reference games, in one batch."""
    names = [RANDOM] + candidate_names()
    t0 = time.perf_counter()
    played = play_scenario(scenario, [make_player(nm) for nm in names])
    returns = played.per_capita(scenario.focal).reshape(len(names), -1).mean(axis=1)
    seconds = time.perf_counter() - t0
    table = {nm: float(r) for nm, r in zip(names, returns)}
    best = max(names[1:], key=lambda nm: table[nm])
    return References(scenario.id, table[RANDOM], table[best], best, table, scenario.episodes, seconds,
                      fingerprint(scenario))


# ---- the cache ---------------------------------------------------------------------------------

#: what play depends on, relative to the installed coopgym package (an edit here recomputes every reference)
_SOURCES = ("game.py", "rewards.py", "rng.py", "spec.py", "team_game.py", "reciprocity_game.py", "policy.py",
            "compiled.py", "mechanisms", "scenarios/catalogue.py", "scenarios/play.py", "scenarios/references.py")
_SUBPACKAGES = ("coopgym.envs", "coopgym.baselines", "coopgym.oracles")
_CODE: str | None = None
_MEMORY: dict[str, References] = {}


def _source_files() -> list[Path]:
    root = Path(importlib.util.find_spec("coopgym").origin).parent
    files = []
    for rel in _SOURCES:
        p = root / rel
        files += sorted(p.glob("*.py")) if p.is_dir() else [p]
    for pkg in _SUBPACKAGES:
        where = Path(next(iter(importlib.util.find_spec(pkg).submodule_search_locations)))
        files += sorted(f for f in where.glob("*.py"))       # learners (a subfolder) do not play references
    return files


def fingerprint(scenario: Scenario) -> str:
    """sha256 of the scenario's definition and of the source of everything ``play`` runs."""
    global _CODE
    if _CODE is None:
        h = hashlib.sha256()
        for f in _source_files():
            h.update(f.name.encode() + f.read_bytes())
        _CODE = h.hexdigest()
    blob = json.dumps(scenario.as_dict(), sort_keys=True) + _CODE
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    return Path(os.environ.get("COOPGYM_CACHE", Path.home() / ".cache" / "coopgym")) / "scenario_references"


def _path(scenario: Scenario, key: str) -> Path:
    return cache_dir() / f"{scenario.id.replace('/', '__')}.{key}.json"


def is_cached(scenario: Scenario) -> bool:
    """Whether ``references(scenario)`` will be read (from memory or disk) rather than computed."""
    key = fingerprint(scenario)
    return key in _MEMORY or _path(scenario, key).exists()


def references(scenario: Scenario, *, recompute: bool = False) -> References:
    """The references of ``scenario``: from memory, else from the disk cache, else computed (and stored)."""
    key = fingerprint(scenario)
    if not recompute and key in _MEMORY:
        return _MEMORY[key]
    path = _path(scenario, key)
    refs = None
    if not recompute and path.exists():
        try:
            refs = References(**json.loads(path.read_text()))
        except (ValueError, TypeError):    # a torn or foreign file: compute afresh
            refs = None
    if refs is None:
        refs = compute(scenario)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(asdict(refs)))
            tmp.replace(path)               # atomic: a concurrent reader never sees half a file
        except OSError:                     # a read-only home: keep it in memory only
            pass
    _MEMORY[key] = refs
    return refs
