"""The TR-3 and TR-4 behavioural-target suites (SPEC sections 3 and 4), computed from model output.

This is the spec protocol (``--protocol spec``); ``reference.py`` re-runs the
reference code's own experiments on the same mechanism functions.

Every pass rate below is computed here, from equilibria or trajectories of
the batched mechanism functions over the published sweep spaces; nothing is
typed in but the sweep ranges, the published thresholds and the experiment
design. The full grid takes the centres of equal cells of every continuous
axis (9 per TR-3 axis, 7 per TR-4 axis; every k in 1..20), so that it and
``quick=True`` (uniform seeded draws) estimate the same share of the space.
A target passes when its pass rate exceeds the threshold (or is 100 % where
the threshold is 100 %).

TR-3 (collective action and loyalty). Sweep: omega [10, 50], beta [.5, .9],
c [.5, 2], n {3, 4, 5, 6, 8}, theta [0, 1], phi_B [.4, 1], phi_C [.1, .5].
Decisions where SPEC is silent:
- Effort cap a_max = 50 (the e of the TR-3 environments and the Apache case).
- A "configuration" is (omega, beta, c, phi_B, phi_C, n); every configuration
  is solved on the whole theta grid 0, .1, ..., 1 with all agents at the same
  loyalty, by the symmetric solver (bisection on the symmetric FOC).
- free-riding baseline: the general damped best-response solver (theta = 0,
  from the asymmetric start a_i = a_max (i + 1) / (n + 1)) must converge with
  mean effort within 5 % of the closed-form a*; one configuration per
  distinct (omega, beta, c, n) since phi_B and phi_C do not enter at theta = 0.
- loyalty monotonicity: effort rises strictly along the theta grid, except
  between two efforts both at the cap (a capped effort cannot rise).
- effort differentiation: a*(theta = .9) / a*(theta = .1) > 2.
- team-size effect: at low loyalty (theta in {0, .1, .2}) effort falls
  strictly along n = 3, 4, 5, 6, 8, except between two capped efforts.
- mechanism synergy at theta = .7 (the loyalty of the TR-3 synergy
  experiment): effect = equilibrium effort minus the theta = 0 effort;
  (effect with phi_B and phi_C) > 1.1 x (effect with phi_C = 0 + effect with
  phi_B = 0). Configurations where both single effects are 0 (the cap binds
  at theta = 0) have no ratio and are left out (counted in the note).
- bounded outcomes: every equilibrium computed for the configuration is
  finite and in [0, a_max], and so is every agent's utility there.
- Pass-rate thresholds (SPEC gives none for TR-3): 95 % for the statistical
  criteria (free riding, differentiation, synergy) and 100 % for the ones the
  report states as properties (monotonicity, team size, boundedness).

TR-4 (reciprocity). Sweep: rho0 [.5, 2], eta [.8, 2], kappa [.5, 2],
k [1, 20], lambda_R [.5, 2], T0 [.3, .9]; thresholds from SPEC.
Decisions: each configuration runs a set of two-agent experiments under the
cooperation-evolution rule (alpha_r .12, delta .05) with TR-2 trust dynamics
(canonical parameters, trust starting at T0). Actions are fractions of the
endowment (e = 1, the scale of the TR-4 report and its Apple case), so the
rule's raw deviations are used as SPEC writes it (sigma = 1; the trust signal
keeps TR-2's sigma = e / 10); baseline b = .3 for both agents (30 of 100 in
the catalogue rows). A focal agent follows the rule; its partner is scripted:
at baseline until t0 = 5, then "cooperate" (a = 1 from t0 on), "defect"
(a = 0 from t0 on) or "lapse" (a = 0 at t0 only, then back to b). The
focal's response r(t) is its action minus its action in the same run with a
partner who holds b throughout, over the window t0 + 1 ... t0 + 20. A change
is visible when it is at least eps = .01 (1 % of e: one step of the
platform's Constant_00 ... Constant_100 action grid).
- cooperation emergence: against "cooperate", the mean of r over the window >= eps.
- defection punishment: against "defect", the largest drop -r >= eps.
- forgiveness: against "lapse", a visible drop and |r| < eps at the window's end.
- asymmetric differentiation: dyad of GiftExchange-v0 (D01 .4, D10 .7,
  omega .8); each agent in turn is the focal; for both "cooperate" and
  "defect" the more dependent agent's peak |r| is visible and larger.
- trust-reciprocity interaction: for both "cooperate" and "defect" the peak
  |r| with trust T0 is visible and larger than with trust T0 / 2.
- bounded responses: in every run, actions stay finite in [0, e], trust in
  [0, 1], and each step's reciprocity term obeys |sum_j W_ij phi| <= sum_j W_ij.
Sensitivity (``tr4_sensitivity``): the same runs scored at eps = .001, .005,
.01, .02, with forgiveness also relative to the drop (back within 10 % of it).
The other experiments use the dyad of ReciprocalDilemma-v0 (D .5, omega .6).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from coopgym.mechanisms import collective as col
from coopgym.mechanisms import reciprocity as rec
from coopgym.mechanisms.trust import TrustParams

TR3_SPACE = {"omega": (10.0, 50.0), "beta": (0.5, 0.9), "c": (0.5, 2.0), "phi_B": (0.4, 1.0), "phi_C": (0.1, 0.5)}
TR3_N = (3, 4, 5, 6, 8)
TR3_THETA = tuple(round(0.1 * i, 10) for i in range(11))
TR3_A_MAX = 50.0
SYNERGY_THETA = 0.7
TR3_GRID = 9            # cells per continuous TR-3 axis in the full grid
TR3_SAMPLES = 1000      # quick mode
TR3_THRESHOLDS = {"free_riding_baseline": 0.95, "loyalty_monotonicity": 1.0, "effort_differentiation": 0.95,
                  "team_size_effect": 1.0, "mechanism_synergy": 0.95, "bounded_outcomes": 1.0}

TR4_SPACE = {"rho0": (0.5, 2.0), "eta": (0.8, 2.0), "kappa": (0.5, 2.0), "k": (1, 20),
             "lambda_R": (0.5, 2.0), "T0": (0.3, 0.9)}
TR4_GRID = 7            # cells per continuous TR-4 axis in the full grid
TR4_K = tuple(range(1, 21))  # every memory window
TR4_SAMPLES = 4000      # quick mode
TR4_THRESHOLDS = {"cooperation_emergence": 0.85, "defection_punishment": 0.95, "forgiveness": 0.80,
                  "asymmetric_differentiation": 0.90, "trust_reciprocity_interaction": 0.90, "bounded_responses": 1.0}
EPS = 0.01
SENSITIVITY_EPS = (0.001, 0.005, 0.01, 0.02)   # visibility thresholds of the TR-4 sensitivity table
FORGIVE_SHARE = 0.1     # relative forgiveness: back within 10 % of the drop
RTOL = 1e-9             # relative tolerance of the TR-3 comparisons (the solvers are good to ~1e-14)
T_MOVE, WINDOW, BASELINE = 5, 20, 0.3
DYADS = {"ReciprocalDilemma-v0": (0.5, 0.5, 0.6), "GiftExchange-v0": (0.4, 0.7, 0.8)}  # D01, D10, omega


@dataclass(frozen=True)
class TargetResult:
    """One target: the share of configurations meeting ``criterion`` beside the published threshold."""
    name: str
    criterion: str
    pass_rate: float
    threshold: float
    passed: bool
    n_configurations: int
    note: str = ""


@dataclass(frozen=True)
class SuiteResult:
    """The six targets of one report ("TR-3" / "TR-4"), how it was run, and summary statistics."""
    suite: str
    mode: str
    n_configurations: int
    seconds: float
    targets: tuple[TargetResult, ...]
    stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TargetsReport:
    """Both suites and the median effort differentiation a*(theta=.9) / a*(theta=.1)."""
    suites: tuple[SuiteResult, ...]
    median_differentiation: float

    def to_dict(self) -> dict:
        """Plain JSON-ready data (NaN becomes None)."""
        def clean(x):
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [clean(v) for v in x]
            if isinstance(x, float) and x != x:
                return None
            return x
        return clean(asdict(self))


def _result(name, criterion, ok, thresholds, note="") -> TargetResult:
    ok = np.asarray(ok, dtype=bool).ravel()
    rate = float(ok.mean()) if ok.size else float("nan")
    threshold = thresholds[name]
    passed = bool(ok.size) and (rate == 1.0 if threshold >= 1.0 else rate > threshold)
    return TargetResult(name, criterion, rate, threshold, passed, int(ok.size), note)


def _median(x) -> float:
    """Median of the finite entries (NaN when there are none)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def sweep(space: dict, values: dict, quick: bool, seed: int, samples: int) -> dict[str, np.ndarray]:
    """Configurations as flat arrays: the factorial grid of ``values`` or ``samples`` seeded draws.

    ``space`` gives each axis's (low, high) range (integers for an int range);
    ``values`` its grid values. Quick draws are uniform in the range, or from
    ``values`` when an axis was fixed by the caller (a one-value list).
    """
    names = list(space)
    if not quick:
        mesh = np.meshgrid(*(np.asarray(values[k], dtype=float) for k in names), indexing="ij")
        return {k: m.ravel() for k, m in zip(names, mesh)}
    rng = np.random.default_rng(seed)
    out = {}
    for k in names:
        lo, hi = space[k]
        if len(values[k]) == 1 or (lo, hi) == (None, None):
            out[k] = rng.choice(np.asarray(values[k], dtype=float), size=samples)
        elif isinstance(lo, int) and isinstance(hi, int):
            out[k] = rng.integers(lo, hi + 1, size=samples).astype(float)
        else:
            out[k] = rng.uniform(lo, hi, size=samples)
    return out


def _axes(space: dict, grid: int, fixed: dict | None, special: dict | None = None) -> tuple[dict, dict]:
    """(ranges, grid values) after the caller's overrides; an overridden axis keeps only its values.

    Grid values are the centres of ``grid`` equal cells of each range (midpoint
    rule), so the full grid and a uniform quick sample estimate the same share
    of the sweep space.
    """
    values = {k: tuple(lo + (np.arange(grid) + 0.5) * (hi - lo) / grid) for k, (lo, hi) in space.items()}
    values.update(special or {})
    ranges = dict(space)
    for k, v in (fixed or {}).items():
        if k not in space:
            raise ValueError(f"unknown sweep axis {k!r}; axes are {sorted(space)}")
        values[k] = tuple(np.atleast_1d(np.asarray(v, dtype=float)))
        ranges[k] = (None, None)
    return ranges, values


# --------------------------------------------------------------------------- TR-3

def _free_riding(cfg: dict, a_max: float):
    """General-solver free-riding equilibria of every distinct (omega, beta, c) and n: (equilibrium, n, a*)."""
    triples = np.unique(np.stack([cfg["omega"], cfg["beta"], cfg["c"]], axis=1), axis=0)
    o, b, c = (np.repeat(triples[:, j], len(TR3_N)) for j in range(3))
    n = np.tile(np.asarray(TR3_N, dtype=float), len(triples))
    slot = np.arange(max(TR3_N))
    members = slot < n[:, None]
    a0 = np.where(members, a_max * (slot + 1) / (n[:, None] + 1), 0.0)
    eq = col.equilibrium(np.zeros(members.shape), o, b, c, 0.0, 0.0, a_max, members=members, a0=a0)
    return eq, n, col.free_riding_effort(o, b, c, n, a_max)


def _utilities_finite(effort, om, be, c, pB, pC) -> np.ndarray:
    """Every team member's utility at each symmetric equilibrium (N, n, theta) is finite: (N, n)."""
    slot = np.arange(max(TR3_N))
    team = slot < np.asarray(TR3_N, dtype=float)[:, None]             # (n, slots)
    ok = np.ones(effort.shape[:2], dtype=bool)
    for j, t in enumerate(TR3_THETA):                                  # one theta at a time: bounded memory
        profile = np.broadcast_to(effort[..., j, None], effort.shape[:2] + slot.shape)
        U = col.utility(profile, np.full(slot.shape, t), om, be, c, pB, pC, members=team)
        ok &= np.all(np.isfinite(U) | ~team, axis=-1)
    return ok


def tr3_targets(quick: bool = False, seed: int = 0, fixed: dict | None = None, a_max: float = TR3_A_MAX,
                samples: int = TR3_SAMPLES) -> SuiteResult:
    """The six TR-3 targets. ``fixed`` pins sweep axes, e.g. {"phi_B": 0, "phi_C": 0}."""
    start = time.perf_counter()
    cfg = sweep(*_axes(TR3_SPACE, TR3_GRID, fixed), quick, seed, samples)
    om, be, c, pB, pC = (cfg[k][:, None] for k in ("omega", "beta", "c", "phi_B", "phi_C"))   # (N, 1)
    n = np.asarray(TR3_N, dtype=float)                                                         # (n,)
    theta = np.asarray(TR3_THETA)
    eq = col.symmetric_equilibrium(theta, om[..., None], be[..., None], c[..., None], pB[..., None],
                                   pC[..., None], n[:, None], a_max)
    effort = eq.effort                                                 # (N, n, theta)
    capped = effort >= a_max * (1.0 - RTOL)
    at = {t: effort[..., TR3_THETA.index(t)] for t in TR3_THETA}

    def rising(x):
        """Along the last axis: strictly increasing, except that two capped efforts may be equal."""
        d = np.diff(x, axis=-1)
        slack = RTOL * np.abs(x[..., 1:])
        both_capped = (x[..., :-1] >= a_max * (1.0 - RTOL)) & (x[..., 1:] >= a_max * (1.0 - RTOL))
        return np.all((d > slack) | (both_capped & (np.abs(d) <= slack)), axis=-1)

    monotone = rising(effort)
    ratio = at[0.9] / at[0.1]
    low = np.stack([at[t] for t in (0.0, 0.1, 0.2)], axis=1)           # (N, low theta, n)
    team = rising(low[..., ::-1])                                      # falls with n: rises along reversed n

    only_B = col.symmetric_equilibrium(SYNERGY_THETA, om, be, c, pB, 0.0, n, a_max).effort
    only_C = col.symmetric_equilibrium(SYNERGY_THETA, om, be, c, 0.0, pC, n, a_max).effort
    singles = (only_B - at[0.0]) + (only_C - at[0.0])
    defined = singles > RTOL * at[0.0]
    synergy = np.where(defined, (at[SYNERGY_THETA] - at[0.0]) / np.where(defined, singles, 1.0), np.nan)

    free, n_free, a_star = _free_riding(cfg, a_max)
    error = np.abs(free.actions.sum(axis=-1) / n_free - a_star) / a_star

    def in_box(x):
        return np.isfinite(x) & (x >= 0.0) & (x <= a_max)

    bounded = (np.all(in_box(effort), axis=-1) & in_box(only_B) & in_box(only_C)
               & _utilities_finite(effort, om, be, c, pB, pC))
    th = TR3_THRESHOLDS
    targets = (
        _result("free_riding_baseline", "general solver converges, mean effort within 5 % of closed-form a*",
                free.converged & (error <= 0.05), th, f"max relative error {error.max():.1e}"),
        _result("loyalty_monotonicity", "effort rises with theta (strictly below the cap)", monotone, th),
        _result("effort_differentiation", "a*(theta=.9) / a*(theta=.1) > 2", ratio > 2.0, th,
                f"a*(theta=.1) at the cap a_max = {a_max:g} in {np.mean(capped[..., 1]):.1%} of configurations"),
        _result("team_size_effect", "da*/dn < 0 at theta <= .2 (strictly below the cap)", team, th),
        _result("mechanism_synergy", f"combined effect > 1.1 x sum of single effects (theta = {SYNERGY_THETA})",
                synergy[defined] > 1.1, th, f"{np.sum(~defined)} configurations capped at theta = 0 left out"),
        _result("bounded_outcomes", "every equilibrium and utility finite, effort in [0, a_max]",
                np.concatenate([bounded.ravel(), np.all(in_box(free.actions), axis=-1)]), th),
    )
    stats = {"median_differentiation": float(np.median(ratio)), "median_synergy": _median(synergy),
             "cap_binding_at_theta_0": float(np.mean(capped[..., 0])),
             "max_foc_residual": float(max(eq.residual.max(), free.residual.max())),
             "a_max": a_max, "theta_grid": list(TR3_THETA), "n_values": list(TR3_N)}
    return SuiteResult("TR-3", "quick" if quick else "full", int(ratio.size), time.perf_counter() - start,
                       targets, stats)


# --------------------------------------------------------------------------- TR-4

# (name, dyad, focal agent, partner script, trust factor); each run is paired with
# its counterfactual: the same run with a partner who holds its baseline.
TR4_RUNS = (
    ("emerge", "ReciprocalDilemma-v0", 0, "cooperate", 1.0),
    ("punish", "ReciprocalDilemma-v0", 0, "defect", 1.0),
    ("forgive", "ReciprocalDilemma-v0", 0, "lapse", 1.0),
    ("half_cooperate", "ReciprocalDilemma-v0", 0, "cooperate", 0.5),
    ("half_defect", "ReciprocalDilemma-v0", 0, "defect", 0.5),
    ("less_cooperate", "GiftExchange-v0", 0, "cooperate", 1.0),
    ("less_defect", "GiftExchange-v0", 0, "defect", 1.0),
    ("more_cooperate", "GiftExchange-v0", 1, "cooperate", 1.0),
    ("more_defect", "GiftExchange-v0", 1, "defect", 1.0),
)


def _script(kind: str, steps: int) -> np.ndarray:
    """The partner's actions a(0) ... a(steps) (fractions of e)."""
    a = np.full(steps + 1, BASELINE)
    if kind == "cooperate":
        a[T_MOVE:] = 1.0
    elif kind == "defect":
        a[T_MOVE:] = 0.0
    elif kind == "lapse":
        a[T_MOVE] = 0.0
    return a


def _tr4_setup():
    """The run table, each run followed by its counterfactual ("hold") as a batch axis of length R."""
    steps = T_MOVE + WINDOW
    runs = list(TR4_RUNS)
    cf_keys = sorted({(dyad, focal, f) for _, dyad, focal, _, f in runs})
    runs += [(f"hold:{k}", k[0], k[1], "hold", k[2]) for k in cf_keys]
    D = np.zeros((len(runs), 2, 2))
    forced = np.full((len(runs), steps + 1, 2), np.nan)
    for r, (_, dyad, focal, kind, _) in enumerate(runs):
        D[r, 0, 1], D[r, 1, 0], _ = DYADS[dyad]
        forced[r, :, 1 - focal] = _script(kind, steps)
    return {
        "names": [r[0] for r in runs], "kinds": [r[3] for r in runs], "D": D, "forced": forced, "steps": steps,
        "omega": np.array([DYADS[r[1]][2] for r in runs]),
        "focal": np.array([r[2] for r in runs]),
        "factor": np.array([r[4] for r in runs]),
        "cf": np.array([len(TR4_RUNS) + cf_keys.index((dyad, focal, f)) for _, dyad, focal, _, f in runs]),
    }


def _tr4_chunk(cfg: dict, setup: dict) -> dict[str, np.ndarray]:
    """Per-configuration raw measures of every experiment, for one chunk of configurations."""
    T0 = cfg["T0"][:, None, None, None] * setup["factor"][None, :, None, None] * (1.0 - np.eye(2)) + np.eye(2)
    traj = rec.simulate(np.full(2, BASELINE), np.full(2, BASELINE), 1.0, setup["D"], T0,
                        *(cfg[k][:, None] for k in ("rho0", "eta", "kappa")), cfg["k"][:, None].astype(np.int64),
                        cfg["lambda_R"][:, None], setup["omega"], setup["steps"], forced=setup["forced"],
                        trust=TrustParams(), k_max=int(TR4_SPACE["k"][1]), record_trust=True)
    focal = setup["focal"][None, :, None, None]
    a = np.take_along_axis(traj.actions, focal, axis=-1)[..., 0]          # (C, R, steps + 1)
    r = (a - a[:, setup["cf"]])[..., T_MOVE + 1:]                          # response in the window
    run = {name: r[:, j] for j, name in enumerate(setup["names"])}
    drop = {k: (-x).max(axis=-1) for k, x in run.items()}
    peak = {k: x.max(axis=-1) if kind == "cooperate" else drop[k]
            for (k, x), kind in zip(run.items(), setup["kinds"])}
    acts, T = traj.actions, traj.trust
    bounded = (np.all(np.isfinite(acts) & (acts >= 0.0) & (acts <= 1.0), axis=(1, 2, 3))
               & np.all(np.abs(traj.reciprocity) <= traj.bound * (1 + 1e-12) + 1e-15, axis=(1, 2, 3))
               & np.all((T >= 0.0) & (T <= 1.0), axis=(1, 2, 3, 4)))
    raw = {f"peak:{k}": v for k, v in peak.items() if not k.startswith("hold:")}
    raw.update({"rise": run["emerge"].mean(axis=-1), "drop": drop["punish"], "lapse_drop": drop["forgive"],
                "lapse_end": np.abs(run["forgive"][:, -1]), "bounded": bounded})
    return raw


def tr4_criteria(raw: dict, eps: float = EPS) -> dict[str, np.ndarray]:
    """Each TR-4 target's per-configuration outcome at the visibility threshold ``eps``, from ``_tr4_chunk``'s measures.

    ``forgiveness_relative`` asks for a visible drop and a return to within
    FORGIVE_SHARE of that drop (rather than within eps) at the window's end.
    """
    pk = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("peak:")}
    return {
        "emergence": raw["rise"] >= eps,
        "punishment": raw["drop"] >= eps,
        "forgiveness": (raw["lapse_drop"] >= eps) & (raw["lapse_end"] < eps),
        "forgiveness_relative": (raw["lapse_drop"] >= eps) & (raw["lapse_end"] < FORGIVE_SHARE * raw["lapse_drop"]),
        "asymmetric": np.all([(pk[f"more_{s}"] >= eps) & (pk[f"more_{s}"] > pk[f"less_{s}"] + 1e-12)
                              for s in ("cooperate", "defect")], axis=0),
        "interaction": np.all([(pk[f] >= eps) & (pk[f] > pk[h] + 1e-12)
                               for f, h in (("emerge", "half_cooperate"), ("punish", "half_defect"))], axis=0),
        "bounded": raw["bounded"],
    }


TR4_TARGETS = (
    ("cooperation_emergence", "emergence", "mean rise over 20 steps >= {eps:g} after the partner cooperates"),
    ("defection_punishment", "punishment", "drop >= {eps:g} after the partner defects"),
    ("forgiveness", "forgiveness", "visible drop after a one-step lapse, back within {eps:g} 20 steps later"),
    ("asymmetric_differentiation", "asymmetric", "more dependent agent responds visibly and more (D .7 vs .4)"),
    ("trust_reciprocity_interaction", "interaction", "visible response, stronger at trust T0 than at T0 / 2"),
    ("bounded_responses", "bounded", "actions in [0, e], |reciprocity| <= sum_j W_ij, trust in [0, 1]"))


def tr4_raw(quick: bool = False, seed: int = 0, fixed: dict | None = None, samples: int = TR4_SAMPLES,
            chunk: int = 2048) -> tuple[dict[str, np.ndarray], list]:
    """The raw per-configuration measures of the TR-4 experiments over the sweep, and the k values swept."""
    ranges, values = _axes(TR4_SPACE, TR4_GRID, fixed, special={"k": TR4_K})
    cfg, setup = sweep(ranges, values, quick, seed, samples), _tr4_setup()
    N = len(cfg["rho0"])
    parts = [_tr4_chunk({k: v[i:i + chunk] for k, v in cfg.items()}, setup) for i in range(0, N, chunk)]
    k_values = [int(k) for k in values["k"]] if not quick else list(TR4_SPACE["k"])
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}, k_values


def tr4_targets(quick: bool = False, seed: int = 0, fixed: dict | None = None, samples: int = TR4_SAMPLES,
                chunk: int = 2048, eps: float = EPS, raw: dict | None = None) -> SuiteResult:
    """The six TR-4 targets. ``fixed`` pins sweep axes, e.g. {"lambda_R": 0}; ``raw`` reuses ``tr4_raw``'s output."""
    start = time.perf_counter()
    k_values = list(TR4_K)
    if raw is None:
        raw, k_values = tr4_raw(quick, seed, fixed, samples, chunk)
    ok = tr4_criteria(raw, eps)
    targets = tuple(_result(name, criterion.format(eps=eps), ok[key], TR4_THRESHOLDS)
                    for name, key, criterion in TR4_TARGETS)
    less = raw["peak:less_defect"]
    ratio = np.divide(raw["peak:more_defect"], less, out=np.full(less.shape, np.nan), where=less > 0)
    stats = {"median_rise": float(np.median(raw["rise"])), "median_drop": float(np.median(raw["drop"])),
             "median_dependency_response_ratio": _median(ratio), "eps": eps, "k_values": k_values}
    return SuiteResult("TR-4", "quick" if quick else "full", len(raw["rise"]), time.perf_counter() - start,
                       targets, stats)


def tr4_sensitivity(raw: dict, eps_values=SENSITIVITY_EPS) -> list[dict]:
    """TR-4 pass rates at each visibility threshold eps (one row per eps), from one set of raw measures."""
    rows = []
    for eps in eps_values:
        ok = tr4_criteria(raw, eps)
        row = {"eps": eps, **{name: float(ok[key].mean()) for name, key, _ in TR4_TARGETS}}
        row["forgiveness_relative"] = float(ok["forgiveness_relative"].mean())
        rows.append(row)
    return rows


def run_targets(quick: bool = False, seed: int = 0) -> TargetsReport:
    """Both suites, plus the median effort differentiation a*(theta=.9) / a*(theta=.1)."""
    tr3 = tr3_targets(quick=quick, seed=seed)
    tr4 = tr4_targets(quick=quick, seed=seed)
    return TargetsReport((tr3, tr4), tr3.stats["median_differentiation"])
