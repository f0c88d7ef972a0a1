"""Run configurations and run records: the runner's data contract.

A run is a pure function of its :class:`RunConfig`; its outcome is one
:class:`RunRecord`. ``config_hash`` (sha256 of the canonical JSON of the
config) identifies a run everywhere: in the ledger, the corpus and the
leaderboard. Config fields added later (``eval_at``, ``scenarios``) are left out of the
canonical JSON while empty, so configs without them keep their hashes.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import hashlib
import json
import math
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from coopgym.rewards import REWARD_MODES

from .metrics import METRICS, legacy_metrics

STATUSES = ("ok", "failed")
_M_RE = re.compile(r"^m=([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)$")
_SCALARS = (str, int, float, bool, type(None))


def canonical_reward(reward: str) -> str:
    """Validate a reward mode or mutuality value ``m=<0..2>`` and return its canonical spelling."""
    if not isinstance(reward, str):
        raise TypeError(f"reward must be a string, got {type(reward).__name__}")
    text = reward.strip()
    if text in REWARD_MODES:
        return text
    match = _M_RE.match(text.replace(" ", ""))
    if match is None:
        raise ValueError(f"unknown reward {reward!r}: choose one of {', '.join(REWARD_MODES)} "
                         "or a mutuality value m=<number in [0, 2]> (e.g. m=0.5)")
    m = float(match.group(1))
    if not 0.0 <= m <= 2.0:
        raise ValueError(f"reward {reward!r}: mutuality m must lie in [0, 2], got {m}")
    return f"m={m!r}"


class _Table(tuple):
    """A frozen table option value (e.g. ``params = {gamma = 0.5}``): sorted (key, value) pairs that thaw
    back to a dict, told apart from a list of pairs by its type."""


def _freeze(value: Any, where: str) -> Any:
    """JSON-able, hashable option value: scalars, (nested) tuples of them, or tables of them."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: option values must be finite, got {value}")
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (list, tuple)) and not isinstance(value, _Table):
        return tuple(_freeze(v, where) for v in value)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{where}: table keys must be strings, got {list(value)}")
        return _Table((k, _freeze(v, f"{where}.{k}")) for k, v in sorted(value.items()))
    if isinstance(value, _Table):
        return value
    raise TypeError(f"{where}: option values must be numbers, strings, booleans, lists or tables of them, "
                    f"got {type(value).__name__}")


def _thaw(value: Any) -> Any:
    if isinstance(value, _Table):
        return {k: _thaw(v) for k, v in value}
    return [_thaw(v) for v in value] if isinstance(value, tuple) else value


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not isinstance(value, int):
        try:  # numpy integers and integral floats are fine
            if float(value) != int(value):
                raise ValueError
            value = int(value)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be an integer, got {value!r}") from None
    if value < minimum:
        what = "a negative training budget" if name == "steps" else f"a negative {name}"
        raise ValueError(f"{name} must be >= {minimum}, got {value} ({what} is impossible)"
                         if minimum == 0 else f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _scenario_ids(given: Any, env: str) -> tuple[str, ...]:
    """Full, sorted scenario ids of ``env`` from "all", a comma-separated text or a list (checked)."""
    if not given:
        return ()
    from coopgym.scenarios.catalogue import get_scenario, scenarios_for

    if isinstance(given, str):
        given = [s.strip() for s in given.split(",") if s.strip()]
    if not isinstance(given, Iterable):
        raise TypeError(f"scenarios must be 'all' or a list of scenario ids, got {given!r}")
    given = list(given)
    chosen = scenarios_for(env) if given == ["all"] else [get_scenario(str(s), env) for s in given]
    return tuple(sorted({s.id for s in chosen}))


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run: policy, environment, reward layer, seed and budgets.

    ``options`` are extra keyword options of the environment, stored as sorted
    ``(key, value)`` pairs; a dict is accepted and normalised. ``eval_at``: the
    env-step counts (0 = untrained, at most ``steps``) at which a learner is
    evaluated inside its training run (its learning curve), sorted, without repeats.
    ``scenarios``: generalisation scenarios of ``env`` (ids of :mod:`coopgym.scenarios`, or
    ``"all"``) on which the final policy is also scored; sorted full ids.
    """

    policy: str
    env: str
    reward: str
    seed: int
    steps: int
    eval_episodes: int = 10
    options: tuple = ()
    eval_at: tuple = ()
    scenarios: tuple = ()

    def __post_init__(self):
        for name in ("policy", "env"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a non-empty string, got {value!r}")
            object.__setattr__(self, name, value.strip())
        object.__setattr__(self, "reward", canonical_reward(self.reward))
        object.__setattr__(self, "seed", _check_int("seed", self.seed, 0))
        object.__setattr__(self, "steps", _check_int("steps", self.steps, 0))
        object.__setattr__(self, "eval_episodes", _check_int("eval_episodes", self.eval_episodes, 1))
        opts = self.options.items() if isinstance(self.options, Mapping) else self.options
        pairs: dict[str, Any] = {}
        for item in opts:
            if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)):
                raise TypeError(f"options must be (name, value) pairs or a dict, got {item!r}")
            key, value = item
            if key in pairs:
                raise ValueError(f"option {key!r} given twice")
            pairs[key] = _freeze(value, f"option {key!r}")
        object.__setattr__(self, "options", tuple(sorted(pairs.items())))
        if isinstance(self.eval_at, (str, bytes)) or not isinstance(self.eval_at, Iterable):
            raise TypeError(f"eval_at must be a list of env-step counts, got {self.eval_at!r}")
        points = sorted({_check_int("eval_at count", k, 0) for k in self.eval_at})
        if points and points[-1] > self.steps:
            raise ValueError(f"eval_at count {points[-1]} exceeds the training budget steps={self.steps}: "
                             "a learner can only be evaluated within its run")
        object.__setattr__(self, "eval_at", tuple(points))
        object.__setattr__(self, "scenarios", _scenario_ids(self.scenarios, self.env))

    @property
    def mutuality(self) -> float:
        """The reward layer's mutuality m (private 0, integrated 1, cooperative 2)."""
        return REWARD_MODES[self.reward] if self.reward in REWARD_MODES else float(self.reward[2:])

    @property
    def options_dict(self) -> dict[str, Any]:
        return {k: _thaw(v) for k, v in self.options}

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data; ``eval_at`` and ``scenarios`` only when given (so older configs keep their
        hashes)."""
        out = {"policy": self.policy, "env": self.env, "reward": self.reward, "seed": self.seed,
               "steps": self.steps, "eval_episodes": self.eval_episodes, "options": self.options_dict}
        if self.eval_at:
            out["eval_at"] = list(self.eval_at)
        if self.scenarios:
            out["scenarios"] = list(self.scenarios)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RunConfig":
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown run-config field(s): {', '.join(sorted(unknown))}")
        return cls(**{k: v for k, v in data.items()})

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)

    @functools.cached_property
    def config_hash(self) -> str:
        """sha256 of the canonical JSON of the config (sorted keys, no whitespace)."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def label(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in self.options_dict.items())
        evals = f" (evaluated at {len(self.eval_at)} points)" if self.eval_at else ""
        evals += f" (+{len(self.scenarios)} scenarios)" if self.scenarios else ""
        return (f"{self.policy} | {self.env}{'{' + opts + '}' if opts else ''} | {self.reward} | "
                f"seed {self.seed} | {self.steps} steps{evals}")


CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(RunConfig))


def utc_now() -> str:
    """The current time as ISO-8601 UTC text with milliseconds."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: the distributions every record names (``library_versions``); ``reproduce`` compares them
VERSIONED = ("coopgym", "numpy", "numba", "scipy", "gymnasium", "pettingzoo", "stable-baselines3", "torch")


@functools.lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a run depends on (read from metadata, nothing imported),
    plus ``git_commit``: the commit of the coopgym source tree when it is a git checkout (suffix
    ``+dirty`` when tracked files differ from it), read once per process (about 10 ms)."""
    import importlib.metadata as md
    import platform

    out = {"python": platform.python_version()}
    for dist in VERSIONED:
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    commit = _git_commit()
    if commit:
        out["git_commit"] = commit
    return out


def _git_commit() -> str | None:
    """The commit of the checkout that holds this package's source (None for an installed wheel)."""
    root = Path(__file__).resolve().parents[2]  # <root>/coopgym/runner/records.py
    if not (root / ".git").exists() or not (root / "coopgym").is_dir():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head or None


#: what a record keeps of each scenario evaluation (:func:`coopgym.scenarios.evaluate.evaluate_scenario`)
SCENARIO_FIELDS = {"scenario": str, "kind": str, "layout": str, "seed": int, "focal_return": float,
                   "normalised": float, "welfare": float, "equality": float, "cooperation": float,
                   "background_cooperation": float, "final_trust": float, "held_out": bool}


#: fields of records written before the metrics existed (corpus v1), read and converted by ``from_dict``
LEGACY_FIELDS = ("cooperation_rate", "final_trust", "oracle_return", "gap_to_oracle")


@dataclass
class RunRecord:
    """One run's outcome: its config, status, timings and metrics (one row of the ledger and corpus).

    ``metrics``: the run metrics of :mod:`coopgym.runner.metrics` (``return``, ``welfare``,
    ``equality``, ``cooperation``, ``trust``) of the final evaluation. ``evaluations``: the learning
    curve, one ``{"steps": k, <metric>: value, ...}`` per ``eval_at`` count, evaluated inside the
    training run. ``learning_curve``: the learner's own training curve, ``[env_steps, mean return of
    the training episodes]``. ``trajectory``: the mean trust per evaluation step. ``scenario_scores``:
    the final policy in each of ``scenarios`` (one dict per scenario: ``SCENARIO_FIELDS``).
    """

    policy: str
    env: str
    reward: str
    seed: int
    steps: int
    eval_episodes: int = 10
    options: tuple = ()
    eval_at: tuple = ()
    scenarios: tuple = ()
    status: str = "ok"
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    versions: dict = field(default_factory=dict)
    n_agents: int = 0
    mean_return: list = field(default_factory=list)
    std_return: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    evaluations: list = field(default_factory=list)
    learning_curve: list = field(default_factory=list)
    mechanism: str | None = None
    trajectory: list | None = None
    scenario_scores: list = field(default_factory=list)
    config_hash: str = ""

    def __post_init__(self):
        cfg = self.config  # validates and normalises the config fields
        for name in CONFIG_FIELDS:
            setattr(self, name, getattr(cfg, name))
        if self.config_hash and self.config_hash != cfg.config_hash:
            raise ValueError(f"record's config_hash {self.config_hash[:12]}... does not match its config "
                             f"({cfg.config_hash[:12]}...): the record was altered or belongs to another run")
        self.config_hash = cfg.config_hash
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        unknown = set(self.metrics) - set(METRICS)
        if unknown:
            raise ValueError(f"unknown metric(s) {', '.join(sorted(unknown))}; metrics: {', '.join(METRICS)}")
        if self.status == "ok":
            if len(self.mean_return) != self.n_agents:
                raise ValueError(f"ok record for {cfg.label()}: mean_return has {len(self.mean_return)} "
                                 f"entries for n_agents={self.n_agents}")
            self.metrics = {m: self.metrics.get(m) for m in METRICS}

    @property
    def config(self) -> RunConfig:
        return RunConfig(**{k: getattr(self, k) for k in CONFIG_FIELDS})

    def metric(self, name: str) -> float | None:
        """One metric of the final evaluation (None where it is not defined or not measured)."""
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; choose one of {', '.join(METRICS)}")
        value = self.metrics.get(name)
        return None if value is None or not math.isfinite(value) else float(value)

    @classmethod
    def from_config(cls, config: RunConfig, **fields: Any) -> "RunRecord":
        """A record for ``config`` with the given result fields (what an executor returns)."""
        return cls(**config.to_dict(), **fields)

    @classmethod
    def failure(cls, config: RunConfig, error: str, **fields: Any) -> "RunRecord":
        return cls(**config.to_dict(), status="failed", error=error, **fields)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (options as a dict, eval_at as a list), the ledger's and corpus' row format."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["options"] = self.config.options_dict
        out["eval_at"] = list(self.eval_at)
        out["scenarios"] = list(self.scenarios)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RunRecord":
        """A record from :meth:`to_dict`'s form; a record of corpus v1 (``cooperation_rate``,
        ``final_trust``, ``oracle_return``, ``gap_to_oracle``, no ``metrics``) is converted: its metrics
        from :func:`~coopgym.runner.metrics.legacy_metrics`; the oracle's return and the gap to it are
        dropped (the leaderboard reads the oracle's own rows)."""
        names = {f.name for f in dataclasses.fields(cls)}
        data = dict(data)
        legacy = {k: data.pop(k) for k in LEGACY_FIELDS if k in data}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown run-record field(s): {', '.join(sorted(unknown))}")
        if legacy and not data.get("metrics") and data.get("status", "ok") == "ok":
            data["metrics"] = legacy_metrics(data.get("mean_return") or [], legacy.get("cooperation_rate"),
                                             legacy.get("final_trust"))
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "RunRecord":
        return cls.from_dict(json.loads(text))


def summarise_error(exc: BaseException, limit: int = 12) -> str:
    """The exception line plus the innermost ``limit`` traceback lines (what a failed record keeps)."""
    import traceback

    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(lines[-limit:]).rstrip()
    head = f"{type(exc).__name__}: {exc}"
    return head if tail.endswith(head) and len(lines) <= 2 else f"{head}\n{tail}"


def unique(configs: Iterable[RunConfig]) -> list[RunConfig]:
    """Configs without duplicates (by hash), in first-seen order."""
    seen: dict[str, RunConfig] = {}
    for cfg in configs:
        seen.setdefault(cfg.config_hash, cfg)
    return list(seen.values())
