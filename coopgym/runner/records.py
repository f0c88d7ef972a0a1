"""Run configurations and run records: the runner's data contract.

A run is a pure function of its :class:`RunConfig`; its outcome is one
:class:`RunRecord`. ``config_hash`` (sha256 of the canonical JSON of the
config) identifies a run everywhere: in the ledger, the corpus and the
leaderboard.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

REWARD_MODES = ("private", "integrated", "cooperative")
MUTUALITY = {"private": 0.0, "integrated": 1.0, "cooperative": 2.0}
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


def _freeze(value: Any, where: str) -> Any:
    """JSON-able, hashable option value: scalars, or (nested) tuples of scalars."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: option values must be finite, got {value}")
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, where) for v in value)
    raise TypeError(f"{where}: option values must be numbers, strings, booleans or lists of them, "
                    f"got {type(value).__name__}")


def _thaw(value: Any) -> Any:
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


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run: policy, environment, reward layer, seed and budgets.

    ``options`` are extra keyword options of the environment, stored as sorted
    ``(key, value)`` pairs; a dict is accepted and normalised.
    """

    policy: str
    env: str
    reward: str
    seed: int
    steps: int
    eval_episodes: int = 10
    options: tuple = ()

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

    @property
    def mutuality(self) -> float:
        """The reward layer's mutuality m (private 0, integrated 1, cooperative 2)."""
        return MUTUALITY[self.reward] if self.reward in MUTUALITY else float(self.reward[2:])

    @property
    def options_dict(self) -> dict[str, Any]:
        return {k: _thaw(v) for k, v in self.options}

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "env": self.env, "reward": self.reward, "seed": self.seed,
                "steps": self.steps, "eval_episodes": self.eval_episodes, "options": self.options_dict}

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
        return (f"{self.policy} | {self.env}{'{' + opts + '}' if opts else ''} | {self.reward} | "
                f"seed {self.seed} | {self.steps} steps")


CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(RunConfig))


def utc_now() -> str:
    """The current time as ISO-8601 UTC text with milliseconds."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a run depends on (read from metadata, nothing imported)."""
    import importlib.metadata as md
    import platform

    out = {"python": platform.python_version()}
    for dist in ("coopgym", "numpy", "numba", "scipy", "gymnasium", "pettingzoo", "stable-baselines3", "torch"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return out


@dataclass
class RunRecord:
    """One run's outcome: its config, status, timings and metrics (one row of the ledger and corpus).

    ``gap_to_oracle`` is a percent: (R - R_oracle) / |R_oracle| x 100 with R the
    mean over agents of ``mean_return`` (SPEC section 8). ``learning_curve`` is a
    list of ``[step, mean_return]``; ``trajectory`` the mean trust per step.
    """

    policy: str
    env: str
    reward: str
    seed: int
    steps: int
    eval_episodes: int = 10
    options: tuple = ()
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
    cooperation_rate: float | None = None
    final_trust: float | None = None
    oracle_return: float | None = None
    gap_to_oracle: float | None = None
    learning_curve: list = field(default_factory=list)
    mechanism: str | None = None
    trajectory: list | None = None
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
        if self.status == "ok" and len(self.mean_return) != self.n_agents:
            raise ValueError(f"ok record for {cfg.label()}: mean_return has {len(self.mean_return)} "
                             f"entries for n_agents={self.n_agents}")

    @property
    def config(self) -> RunConfig:
        return RunConfig(**{k: getattr(self, k) for k in CONFIG_FIELDS})

    @property
    def team_return(self) -> float | None:
        """R: the mean over agents of the per-agent mean returns."""
        return float(sum(self.mean_return) / len(self.mean_return)) if self.mean_return else None

    @classmethod
    def from_config(cls, config: RunConfig, **fields: Any) -> "RunRecord":
        """A record for ``config`` with the given result fields (what an executor returns)."""
        return cls(**config.to_dict(), **fields)

    @classmethod
    def failure(cls, config: RunConfig, error: str, **fields: Any) -> "RunRecord":
        return cls(**config.to_dict(), status="failed", error=error, **fields)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (options as a dict), the ledger's and corpus' row format."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["options"] = self.config.options_dict
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RunRecord":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown run-record field(s): {', '.join(sorted(unknown))}")
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
