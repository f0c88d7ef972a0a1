"""Run plans: a grid from a TOML file or from command-line lists -> a list of :class:`RunConfig`.

Policy and environment names are checked against the registries
(``coopgym.registry.policy_names()``, ``coopgym.envs.env_ids()``); tests and
tools may pass the name lists instead. ``all`` expands to
every registered name (for rewards: the three named modes).

TOML plan format (every key optional except policies and envs)::

    policies = ["ippo", "constant/50"]      # or "all", or "kind:learner" (a registry kind)
    envs = "all"
    rewards = ["private", "m=0.5"]          # default: the three modes
    seeds = "0-6"                           # or [0, 1, 2]
    steps = [100000]
    eval_at = [0, 5000, 20000, 50000, 100000]  # learning-curve points inside each learner's run
    eval_episodes = 10
    options = { n_agents = 3 }              # extra environment options
    scenarios = "all"                       # also score each final policy on its environment's scenarios
    ledger = "runs/ledger.db"

    [[grid]]                                # optional extra grids; each inherits the keys above
    policies = ["oracle/equilibrium"]

``eval_at`` applies to the policies that train; a run keeps the points within its own budget, and a
point beyond every budget of its grid is an error.
"""
from __future__ import annotations

import difflib
import itertools
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from coopgym import registry
from coopgym.envs import env_ids as registered_envs

from .records import REWARD_MODES, RunConfig, canonical_reward, unique

GRID_KEYS = ("policies", "envs", "rewards", "seeds", "steps", "eval_at", "eval_episodes", "options", "scenarios")
PLAN_KEYS = GRID_KEYS + ("ledger", "grid")
# Policies of these families do not train: their budget is 0 whatever the grid says.
STATIC_PREFIXES = ("constant/", "heuristic/", "oracle/")


class PlanError(ValueError):
    """A run plan that cannot be run (unknown name, impossible value, unreadable file)."""


def trains(policy: str, registered: bool = True) -> bool:
    """Whether a policy learns (uses a training budget): the registry's ``trains`` flag when the
    policy is registered, else by name (constants, heuristics and oracles do not train)."""
    entry = registry.REGISTRY.get(policy) if registered else None
    if entry is not None:
        return entry.trains
    return not policy.startswith(STATIC_PREFIXES)


def policy_registry() -> list[str]:
    return registry.policy_names()


def policy_kind(kind: str) -> list[str]:
    """Registered policies of one kind (``kind:learner``, ``kind:oracle``, ``kind:constant``, ...)."""
    kinds = sorted({e.kind for e in registry.REGISTRY.values()})
    names = registry.policy_names(kind)
    if not names:
        raise PlanError(f"no registered policy of kind {kind!r}; kinds: {', '.join(kinds)}")
    return list(names)


def env_registry() -> list[str]:
    return registered_envs()


def describe_choices(names: Sequence[str], limit: int = 40) -> str:
    """A short list of names: numbered families collapse to ``constant/{0..100}``."""
    families: dict[str, list[int]] = {}
    plain: list[str] = []
    for name in names:
        m = re.match(r"^(.*/)(\d+)$", name)
        if m:
            families.setdefault(m.group(1), []).append(int(m.group(2)))
        else:
            plain.append(name)
    parts = plain + [f"{p}{{{min(v)}..{max(v)}}}" if len(v) > 1 else f"{p}{v[0]}" for p, v in families.items()]
    more = f", ... ({len(parts) - limit} more)" if len(parts) > limit else ""
    return ", ".join(parts[:limit]) + more


def _split(value: Any, what: str) -> list:
    """A comma-separated string or a list -> list of stripped items (non-empty)."""
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = [v.strip() if isinstance(v, str) else v for v in value]
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    else:
        raise PlanError(f"{what}: expected a comma-separated string or a list, got {value!r}")
    if not items or any(v == "" for v in items):
        raise PlanError(f"{what}: empty entry in {value!r}")
    return items


def resolve_names(value: Any, registry: Sequence[str], what: str) -> list[str]:
    """Names from a list/comma string, ``all`` expanding to the registry; unknown names -> PlanError."""
    items = _split(value, what)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise PlanError(f"{what}: names must be strings, got {item!r}")
        if item == "all":
            out.extend(registry)
        elif what == "policies" and item.startswith("kind:"):
            out.extend(policy_kind(item[5:]))
        elif item in registry:
            out.append(item)
        else:
            close = difflib.get_close_matches(item, registry, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            noun = {"policies": "policy", "envs": "env"}.get(what, what)
            raise PlanError(f"unknown {noun} {item!r}{hint}; "
                            f"choose from: {describe_choices(registry)}")
    return list(dict.fromkeys(out))


def resolve_rewards(value: Any) -> list[str]:
    out: list[str] = []
    for item in _split(value, "rewards"):
        if item == "all":
            out.extend(REWARD_MODES)
            continue
        try:
            out.append(canonical_reward(str(item) if not isinstance(item, str) else item))
        except ValueError as err:
            raise PlanError(str(err)) from None
    return list(dict.fromkeys(out))


def parse_ints(value: Any, what: str, minimum: int = 0, ranges: bool = True) -> list[int]:
    """Integers from ``"0,1,2"``, ``"0-6"`` (inclusive range, unless ``ranges=False``) or a list;
    below ``minimum`` -> PlanError."""
    out: list[int] = []
    for item in _split(value, what):
        text = str(item).strip()
        m = re.fullmatch(r"(-?\d+)\s*-\s*(-?\d+)", text) if ranges else None
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo:
                raise PlanError(f"{what}: empty range {text!r}")
            vals = list(range(lo, hi + 1))
        elif isinstance(item, bool) or not re.fullmatch(r"-?\d+(\.0*)?", text):
            example = "0,1,2 or 0-6" if ranges else "0,5000,20000 (no ranges)"
            raise PlanError(f"{what}: {item!r} is not an integer (use e.g. {example})")
        else:
            vals = [int(float(text))]
        for v in vals:
            if v < minimum:
                kind = "budget" if what == "steps" else what
                raise PlanError(f"{what}: {v} is {'negative' if v < 0 else 'too small'}; "
                                f"a {kind} must be >= {minimum}")
        out.extend(vals)
    return list(dict.fromkeys(out))


def expand(policies: Any, envs: Any, rewards: Any = "all", seeds: Any = "0", steps: Any = "0",
           eval_episodes: int = 10, options: Mapping[str, Any] | None = None, eval_at: Any = (), scenarios: Any = (), *,
           policy_names: Iterable[str] | None = None, env_ids: Iterable[str] | None = None) -> list[RunConfig]:
    """The cartesian grid policies x envs x rewards x seeds x steps as configs (duplicates removed).

    Static policies (constants, heuristics, oracles) get ``steps = 0`` and no evaluation points; a
    learner's run gets the ``eval_at`` points within its budget. ``scenarios`` ("all" or scenario ids, short
    ids read within each environment) are checked for every environment before any config is made.
    """
    pols = resolve_names(policies, list(policy_names) if policy_names is not None else policy_registry(), "policies")
    ens = resolve_names(envs, list(env_ids) if env_ids is not None else env_registry(), "envs")
    rews = resolve_rewards(rewards)
    seed_list = parse_ints(seeds, "seeds")
    step_list = parse_ints(steps, "steps")
    points = parse_ints(eval_at, "eval_at", ranges=False) if eval_at not in ((), [], None, "") else []
    eval_n = parse_ints(eval_episodes, "eval_episodes", minimum=1)
    if len(eval_n) != 1:
        raise PlanError(f"eval_episodes must be one integer, got {eval_episodes!r}")
    if options is not None and not isinstance(options, Mapping):
        raise PlanError(f"options must be a table of name = value, got {options!r}")
    if points and max(points) > max(step_list):
        raise PlanError(f"eval_at: {max(points)} is beyond every training budget (steps {step_list}): "
                        "a learner is evaluated within its run")
    chosen = {}
    if scenarios:
        from coopgym.scenarios.catalogue import select

        spec = scenarios if isinstance(scenarios, str) else ",".join(map(str, scenarios))
        try:
            chosen = {env: tuple(s.id for s in select(env, spec)) for env in ens}
        except ValueError as err:
            raise PlanError(f"scenarios: {err}") from None
    configs = []
    for pol, env, rew, seed, budget in itertools.product(pols, ens, rews, seed_list, step_list):
        learns = trains(pol)
        at = tuple(k for k in points if k <= budget) if learns else ()
        try:
            configs.append(RunConfig(pol, env, rew, seed, budget if learns else 0, eval_n[0],
                                     tuple(sorted((options or {}).items())), at, chosen.get(env, ())))
        except (TypeError, ValueError) as err:
            raise PlanError(f"{pol} on {env}: {err}") from None
    if env_ids is None:
        check_options(configs)
    return unique(configs)


def check_options(configs: Iterable[RunConfig]) -> None:
    """Build each environment once with each planned option set, so an impossible option (``n_agents=3``
    on a two-agent case) is a PlanError before the first run starts, not a failed run."""
    from coopgym.envs import make_game

    for env, options in dict.fromkeys((c.env, c.options) for c in configs):
        opts = {k: v for k, v in RunConfig("constant/0", env, "private", 0, 0, options=options).options_dict.items()}
        try:
            make_game(env, **opts)
        except (TypeError, ValueError, KeyError) as err:
            shown = ", ".join(f"{k}={v}" for k, v in opts.items())
            raise PlanError(f"{env} with options {shown}: {err}") from None


def load_toml(path: str | Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"plan file {p} does not exist")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise PlanError(f"plan file {p} is not valid TOML: {err}") from None


def from_mapping(plan: Mapping[str, Any], *, source: str = "plan", policy_names: Iterable[str] | None = None,
                 env_ids: Iterable[str] | None = None) -> list[RunConfig]:
    """Configs from a parsed plan (top-level grid plus optional ``[[grid]]`` tables inheriting it)."""
    unknown = sorted(set(plan) - set(PLAN_KEYS))
    if unknown:
        raise PlanError(f"{source}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(PLAN_KEYS)}")
    base = {k: plan[k] for k in GRID_KEYS if k in plan}
    grids = plan.get("grid", [])
    if not isinstance(grids, list) or not all(isinstance(g, Mapping) for g in grids):
        raise PlanError(f"{source}: 'grid' must be an array of tables ([[grid]])")
    tables = [base] if not grids else [{**base, **g} for g in grids]
    if grids and {"policies", "envs"} <= set(base):
        tables.insert(0, base)
    names = list(policy_names) if policy_names is not None else None
    ids = list(env_ids) if env_ids is not None else None
    configs: list[RunConfig] = []
    for i, table in enumerate(tables):
        where = source if not grids else f"{source} grid {i + 1}"
        bad = sorted(set(table) - set(GRID_KEYS))
        if bad:
            raise PlanError(f"{where}: unknown key(s) {', '.join(bad)}; allowed: {', '.join(GRID_KEYS)}")
        for key in ("policies", "envs"):
            if key not in table:
                raise PlanError(f"{where}: missing '{key}' (a list of names or \"all\")")
        try:
            configs += expand(**table, policy_names=names, env_ids=ids)
        except PlanError as err:
            raise PlanError(f"{where}: {err}") from None
    return unique(configs)


def from_file(path: str | Path, **registries: Any) -> tuple[list[RunConfig], dict[str, Any]]:
    """Configs and the raw plan (for its ``ledger`` key) from a TOML plan file."""
    plan = load_toml(path)
    return from_mapping(plan, source=f"plan file {path}", **registries), plan


def parse_options(pairs: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings -> dict; VALUE is read as JSON (``{"gamma": 0.5}``, ``[0, 1]``), else as a TOML
    value (``{gamma = 0.5}``, ``true``), else kept as text. ``reward`` is not an option: it is the run's own
    field (``--reward``)."""
    import json
    import tomllib

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise PlanError(f"option {pair!r}: expected KEY=VALUE")
        if key in ("reward", "mutuality"):
            raise PlanError(f"option {key!r}: the reward layer is the run's own setting; give --reward "
                            f"(private, integrated, cooperative or m=<mutuality in [0, 2]>), not --option {key}=...")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            try:
                value = tomllib.loads(f"v = {raw}")["v"]
            except tomllib.TOMLDecodeError:
                value = raw
        out[key] = value
    return out


def summarise(configs: Sequence[RunConfig]) -> dict[str, list]:
    """The distinct values of each grid axis (for the dry-run header)."""
    axes: dict[str, list] = {"policies": [], "envs": [], "rewards": [], "seeds": [], "steps": [], "eval_at": []}
    for c in configs:
        for axis, value in zip(axes, (c.policy, c.env, c.reward, c.seed, c.steps, list(c.eval_at))):
            if value not in axes[axis]:
                axes[axis].append(value)
    return axes
