"""Case-study rubrics computed from model output (SPEC section 7), under SPEC's rubric and the reference's.

Every point comes from the model; the published scores live in
coopgym/data/reproducibility.toml and never enter the computation.
``run_cases(rubric)`` runs SPEC's rubrics ("spec"), the reference suites'
variants ("reference", labelled as such: Apache's qualitative bands on the
suite's member loyalties, Renault-Nissan's one-step transition window, Apple
with the suite's calibration where it differs from SPEC's), or both.
docs/reproducibility.md sets every figure beside the published one.

S-LCD (Samsung-Sony, 60 points, both value specs): the coopetitive equilibrium
of the integrated utility with D = [[0, .64], [.86, 0]] (``oracles.tr1``,
trust off: the TR-1 case) against the Nash baseline of D = 0, gamma = 0; the
value increase is V(a_eq | gamma) / V(a_base | gamma) - 1. A Monte Carlo
sensitivity redraws every parameter with +/-15 % uniform noise (seeded, 500
draws, one batch; ``slcd_monte_carlo``, also under the TR-1 suite's noise model),
and ``slcd_null`` scores the platform documentation's random-parameter null.

Apache HTTP Server (15 points a phase): the symmetric loyalty equilibrium of
each phase (omega 30, beta .65, c 1.2, phi_B .8, phi_C .3, a_max 50, theta the
phase's loyalty multiplier). Decisions where SPEC is silent: the documented
mean efforts are on a 0-10 scale, so the pattern band compares a / a_max with
documented / 10 (4 points within .05, 3 within .10, 2 within .20, 1 within
.30); "decline vs previous phase" for the first phase asks that it be the
highest, as documented.

Renault-Nissan (60 points in four 15-point blocks): the TR-2 trust model
(D Renault->Nissan .65, Nissan->Renault .75; trust rates of RenaultNissan-v0;
start at its formation phase, T0 .45, R0 .05) driven by the documented
cooperation of each phase on a 0-10 scale against baseline 5 (sigma 1):
formation 6.5 x 12, mature 7.0 x 40, crisis 2.0 x 4, recovery 6.2 x 15,
current 6.5 x 8. Trust-state alignment: 3 points per phase whose mean trust
lies in the band declared (with sources) in ``coopgym/data/renault_nissan_trust.toml``;
behavioural prediction: 3 per phase whose trust change has the sign of its
signal; mechanism validation: erosion rate (crisis, per step) > 1.5 x building
rate (formation, per step) 5, hysteresis (trust after recovery < .9 x before
the crisis) 5, max R > .3 5; outcome correspondence: final mean trust in
[.2, .8] 7 (else 4), + 2 per visible phase transition (|dT| > .05), at most 8.

Apple App Store (12 indicators x 5 phases, each 1 / .5 / 0 or not applicable;
pass at 83 %): the TR-4 cooperation-evolution rule with TR-2 trust over 66
quarters on a 0-1 scale from the baseline .5 (D [[0,.66,.71],[.88,0,.30],[.92,.30,0]],
rho0 .85, eta 1.3, k 4, kappa 1.2, T0 .7, lambda_R 1, omega .8), with the
shocks Q36 (MajorDev -.15, SmallDev -.10), Q48 (MajorDev -.40, Apple -.25) and
Q54 (Apple +.20). Expected trends and bands per phase are declared with their
sources in ``coopgym/data/apple_app_store.toml``. Each indicator's test is in
``APPLE_INDICATORS`` below; a shock-dependent indicator is not applicable in a
phase without a shock.
"""
from __future__ import annotations

from importlib import resources

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import numpy as np

from coopgym.mechanisms import trust as tr

from coopgym.mechanisms import collective as tc
from coopgym.mechanisms import reciprocity as rc
from coopgym.mechanisms import value as tv
from coopgym.oracles import tr1

SLCD = dict(e=100.0, D=np.array([[0.0, 0.64], [0.86, 0.0]]), alpha=np.array([0.55, 0.45]))
SPECS = {"log": dict(value_spec="log", theta=20.0, beta=0.75, gamma=0.65),
         "power": dict(value_spec="power", theta=20.0, beta=0.75, gamma=0.50)}
RN_D = np.array([[0.0, 0.75], [0.65, 0.0]])       # agent 0 Nissan, agent 1 Renault: D[N, R] = Nissan -> Renault
RN_TRUST = tr.TrustParams.of(0.08, 0.25, 0.55, 0.02, 0.50, 1.0, T0=0.45, R0=0.05)
RN_PHASES = (("formation", 6.5, 12), ("mature", 7.0, 40), ("crisis", 2.0, 4), ("recovery", 6.2, 15),
             ("current", 6.5, 8))
APACHE = dict(omega=30.0, beta=0.65, c=1.2, phi_B=0.8, phi_C=0.3, a_max=50.0)
# named as ApacheProject-v0's phases (the case text's "formation" and "maturation" are emergence and maturity)
APACHE_PHASES = (("emergence", 8, 1.00, 6.8), ("growth", 25, 0.85, 5.2),
                 ("maturity", 40, 0.70, 4.1), ("evolution", 35, 0.60, 3.8))
# The reference experiment: the founding members' base loyalties (member k of a phase takes
# base k mod 8, times the phase's multiplier), and the reference rubric's qualitative bands on
# a / a_max per documented pattern: (low, high, points), first match, else 1 point.
APACHE_MEMBER_LOYALTY = (0.85, 0.90, 0.80, 0.75, 0.70, 0.78, 0.82, 0.76)
APACHE_PATTERN_BANDS = {
    "emergence": ((0.6, np.inf, 4), (0.4, np.inf, 3), (0.2, np.inf, 2)),      # high (founding burst)
    "growth": ((0.3, 0.9, 4), (0.2, np.inf, 2)),                              # moderate (scaling)
    "maturity": ((0.1, 0.6, 4), (0.05, np.inf, 2)),                           # sustained (stable core)
    "evolution": ((-np.inf, 0.5, 4), (-np.inf, 0.7, 2)),                      # declining (transitions)
}


def _value(a, spec, theta, beta):
    theta, beta = (np.asarray(x, dtype=float) for x in (theta, beta))
    theta, beta = (x[:, None] if x.ndim else x for x in (theta, beta))
    return tv.log_value(a, theta) if spec == "log" else tv.power_value(a, beta)


def slcd_scores(D, alpha, gamma, value_spec, theta, beta, e=100.0) -> dict:
    """The 60-point rubric for a batch of configurations (D (B,2,2), alpha (B,2), gamma (B,), e a number or (B,))."""
    B = len(gamma)
    E = np.broadcast_to(np.reshape(np.asarray(e, dtype=float), (-1, 1)), (B, 2))
    eq = tr1.equilibrium(E, D, alpha, gamma, value_spec, theta, beta)
    base = tr1.equilibrium(E, np.zeros_like(D), alpha, np.zeros(B), value_spec, theta, beta)
    a, b = eq.actions, base.actions
    converged = eq.converged & (eq.residual.max(axis=1) < 1e-6)

    def payoff(x):
        return tv.private_payoff(x, E, _value(x, value_spec, theta, beta), tv.synergy(x), alpha, gamma)

    def value(x):
        return tv.total_value(_value(x, value_spec, theta, beta), tv.synergy(x), gamma)

    pi_eq, pi_base = payoff(a), payoff(b)
    V_eq, V_base = value(a), value(b)
    coop = a.mean(axis=1) / b.mean(axis=1) - 1.0
    vinc = V_eq / V_base - 1.0
    share = pi_eq[:, 0] / pi_eq.sum(axis=1)
    asym = np.abs(a[:, 0] - a[:, 1]) / a.mean(axis=1)
    pts = lambda cond, p: np.where(cond, p, 0)  # noqa: E731
    parts = {
        "convergence & stability": pts(converged, 2) + pts((a > 0).all(1), 2) + pts((a < E).all(1), 2)
        + pts(np.isfinite(pi_eq).all(1), 2) + pts(np.isfinite(V_eq), 2),
        "cooperation": pts(coop > 0, 1) + pts(coop > 0.10, 2) + pts(coop > 0.15, 2) + pts(coop < 1.0, 3)
        + pts(coop < 0.8, 2) + pts((coop >= 0.15) & (coop <= 0.60), 3) + pts((a > b).all(1), 2),
        "value": pts(vinc > 0, 2) + pts(vinc > 0.10, 2) + pts(vinc > 0.15, 2) + pts(vinc < 1.0, 3)
        + pts((vinc >= 0.10) & (vinc <= 0.50), 3) + pts(V_eq > V_base, 3),
        "distribution": pts((pi_eq > 0).all(1), 3)
        + pts((pi_eq >= pi_base).all(1) & (pi_eq > pi_base).any(1), 3) + pts((share >= 0.50) & (share <= 0.65), 4),
        "strategic realism": pts(converged, 3) + pts(a.mean(1) > b.mean(1), 3) + pts((asym > 0.02) & (asym < 0.3), 4),
    }
    total = sum(parts.values())
    return {"parts": parts, "total": total, "actions": a, "baseline": b, "cooperation_increase": coop,
            "value_increase": vinc, "samsung_share": share}


def slcd(spec: str) -> dict:
    p = SPECS[spec]
    out = slcd_scores(SLCD["D"][None], SLCD["alpha"][None], np.array([p["gamma"]]), p["value_spec"], p["theta"],
                      p["beta"])
    return {"case": f"S-LCD {spec}", "points": {k: int(v[0]) for k, v in out["parts"].items()},
            "total": int(out["total"][0]), "out_of": 60,
            "equilibrium": out["actions"][0].round(3).tolist(), "baseline": out["baseline"][0].round(3).tolist(),
            "cooperation_increase": float(out["cooperation_increase"][0]),
            "value_increase": float(out["value_increase"][0])}


def slcd_monte_carlo(protocol: str = "spec", draws: int = 500, noise: float = 0.15, seed: int = 0) -> dict:
    """Both value specs' scores under +/-noise uniform multiplicative noise, paired draw by draw.

    ``spec``: D, alpha, gamma and the value parameter are each jittered.
    ``reference`` (the TR-1 suite's draws): four factors u0..u3 jitter the
    endowment (u0), the shares (.55 u1, .45 u2, renormalised) and D (.64 u2,
    .86 u3; u2 moves a share and a dependency at once); gamma and the value
    parameters stay fixed. Historical alignment is the share of draws whose
    cooperation increase lies in [15, 50] %.
    """
    if protocol not in ("spec", "reference"):
        raise ValueError(f"protocol must be 'spec' or 'reference', got {protocol!r}")
    rng = np.random.default_rng(seed)
    jitter = lambda shape: rng.uniform(1 - noise, 1 + noise, shape)  # noqa: E731
    if protocol == "spec":
        D = np.clip(SLCD["D"][None] * jitter((draws, 2, 2)), 0.0, 1.0)
        alpha, e, gamma_u, value_u = SLCD["alpha"][None] * jitter((draws, 2)), SLCD["e"], jitter(draws), jitter(draws)
    else:
        u = jitter((draws, 4))
        D = np.zeros((draws, 2, 2))
        D[:, 0, 1], D[:, 1, 0] = np.clip(SLCD["D"][0, 1] * u[:, 2], 0, 1), np.clip(SLCD["D"][1, 0] * u[:, 3], 0, 1)
        alpha, e, gamma_u, value_u = SLCD["alpha"][None] * u[:, 1:3], SLCD["e"] * u[:, 0], 1.0, 1.0
    alpha = alpha / alpha.sum(axis=1, keepdims=True)
    out = {"protocol": protocol, "draws": draws}
    totals = {}
    for spec, p in SPECS.items():
        theta = p["theta"] * value_u if spec == "log" else p["theta"]
        beta = np.clip(p["beta"] * value_u, 0.05, 1.0) if spec == "power" else p["beta"]
        gamma = np.clip(p["gamma"] * np.broadcast_to(gamma_u, draws), 0.0, 1.0)
        res = slcd_scores(D, alpha, gamma, p["value_spec"], theta, beta, e)
        totals[spec] = res["total"]
        coop = res["cooperation_increase"]
        q = np.percentile(res["total"], [5, 50, 95])
        out[spec] = {"mean": float(res["total"].mean()), "p5": float(q[0]), "median": float(q[1]),
                     "p95": float(q[2]), "historical_alignment": float(np.mean((coop >= 0.15) & (coop <= 0.50)))}
    out["log_beats_power"] = float(np.mean(totals["log"] > totals["power"]))
    return out


def slcd_null(draws: int = 20_000, seed: int = 0) -> dict:
    """Both value specs' scores over a random-parameter null: D_01, D_10 ~ U[0, 1], alpha_0 ~ U[.3, .7].

    The platform documentation's null for the S-LCD rubric (its published means and
    log-beats-power share are compared in docs/reproducibility.md).
    """
    rng = np.random.default_rng(seed)
    D = np.zeros((draws, 2, 2))
    D[:, 0, 1], D[:, 1, 0] = rng.uniform(0, 1, draws), rng.uniform(0, 1, draws)
    a0 = rng.uniform(0.3, 0.7, draws)
    alpha = np.stack([a0, 1 - a0], axis=1)
    totals = {spec: slcd_scores(D, alpha, np.full(draws, p["gamma"]), p["value_spec"], p["theta"], p["beta"])["total"]
              for spec, p in SPECS.items()}
    return {"draws": draws, "log_mean": float(totals["log"].mean()), "power_mean": float(totals["power"].mean()),
            "log_beats_power": float(np.mean(totals["log"] > totals["power"]))}


def _apache_efforts(experiment: str) -> tuple[np.ndarray, np.ndarray]:
    """(mean equilibrium effort per phase, valid flag per phase) of the SPEC or the reference experiment."""
    P = APACHE
    if experiment == "spec":   # every member at the phase's loyalty multiplier: the symmetric equilibrium
        _, n, theta, _ = (np.array(x) for x in zip(*APACHE_PHASES))
        sol = tc.symmetric_equilibrium(theta, P["omega"], P["beta"], P["c"], P["phi_B"], P["phi_C"], n, P["a_max"])
        a, residual = sol.effort, sol.residual
    elif experiment == "reference":   # member k at base loyalty (k mod 8) x multiplier: the general solver
        a, residual = np.empty(len(APACHE_PHASES)), np.empty(len(APACHE_PHASES))
        for i, (_, n, multiplier, _) in enumerate(APACHE_PHASES):
            theta = np.asarray(APACHE_MEMBER_LOYALTY)[np.arange(n) % len(APACHE_MEMBER_LOYALTY)] * multiplier
            sol = tc.equilibrium(theta, P["omega"], P["beta"], P["c"], P["phi_B"], P["phi_C"], P["a_max"],
                                 max_iter=5000)
            a[i], residual[i] = sol.actions.mean(), sol.residual.max()
    else:
        raise ValueError(f"experiment must be 'spec' or 'reference', got {experiment!r}")
    valid = np.isfinite(a) & (a >= 0) & (a <= P["a_max"]) & (residual < 1e-6)
    return a, valid


def _rank_points(a: np.ndarray) -> np.ndarray:
    """4/3/1/0 for a rank error of 0/1/2/3 against the documented order (highest effort first)."""
    documented = np.array([p[3] for p in APACHE_PHASES])
    rank_pred = np.argsort(np.argsort(-a, kind="stable"))
    rank_doc = np.argsort(np.argsort(-documented, kind="stable"))
    return np.array([4, 3, 1, 0])[np.abs(rank_pred - rank_doc)]


def _band_points(share: float, bands) -> int:
    """Points of the first band (low, high, points) with low < share < high; 1 when none holds."""
    return next((pts for lo, hi, pts in bands if lo < share < hi), 1)


def apache(rubric: str = "spec", experiment: str | None = None) -> dict:
    """15 points a phase (60 in all) under SPEC's rubric or the reference suite's.

    ``spec``: valid 3, rank 4/3/1/0, pattern band |a / a_max - documented / 10|
    up to 4, decline vs the previous phase 4 (the first phase: highest).
    ``reference`` (the TR-3 suite's rules): valid 3 (effort > 0, < 100, finite),
    the same rank points, a qualitative band on a / a_max per the phase's
    documented pattern (APACHE_PATTERN_BANDS, 4 down to 1), trend 4 for a decline, 2 for a tie,
    1 for a rise under 10 %, else 0 (the first phase: 4 if within 5 % of the
    highest, else 2). ``experiment`` defaults to the rubric's own (SPEC's
    symmetric loyalty or the suite's member loyalties).
    """
    if rubric not in ("spec", "reference"):
        raise ValueError(f"rubric must be 'spec' or 'reference', got {rubric!r}")
    experiment = experiment or rubric
    a, valid = _apache_efforts(experiment)
    names = [p[0] for p in APACHE_PHASES]
    documented = np.array([p[3] for p in APACHE_PHASES])
    share = a / APACHE["a_max"]
    if rubric == "spec":
        gap = np.abs(share - documented / 10.0)
        band = np.select([gap <= 0.05, gap <= 0.10, gap <= 0.20, gap <= 0.30], [4, 3, 2, 1], 0)
        trend = 4 * np.r_[a[0] >= a.max(), a[1:] < a[:-1]]
        points = 3 * valid + _rank_points(a) + band + trend
    else:
        checks = (a > 0).astype(int) + (a < 100).astype(int) + np.isfinite(a).astype(int)
        band = np.array([_band_points(x, APACHE_PATTERN_BANDS[name]) for x, name in zip(share, names)])
        rise = np.r_[0.0, (a[1:] - a[:-1]) / a[:-1]]
        later = np.select([rise < 0, rise == 0, rise < 0.10], [4, 2, 1], 0)
        trend = np.r_[4 if a[0] >= 0.95 * a.max() else 2, later[1:]]
        points = np.minimum(checks + _rank_points(a) + band + trend, 15)
    phases = [{"phase": names[k], "effort": float(a[k]), "documented": float(documented[k]),
               "points": int(points[k])} for k in range(len(names))]
    total = int(points.sum())
    return {"case": "Apache", "rubric": rubric, "experiment": experiment, "phases": phases, "total": total,
            "out_of": 60, "percent": 100.0 * total / 60}


def renault_nissan(D=RN_D, params=RN_TRUST, phases=RN_PHASES, window: str = "phase-end") -> dict:
    """The 60-point Renault-Nissan rubric from the trust trajectory of the documented phases.

    ``window`` sets how a phase transition is seen: ``phase-end`` (SPEC: mean
    trust at the end of one phase against the end of the next) or ``one-step``
    (the reference suite: one step before the boundary against one step after).
    """
    if window not in ("phase-end", "one-step"):
        raise ValueError(f"window must be 'phase-end' or 'one-step', got {window!r}")
    bands_file = tomllib.loads((resources.files("coopgym") / "data" / "renault_nissan_trust.toml").read_text())
    bands = {p["name"]: bands_file["bands"][p["band"]] for p in bands_file["phase"]}
    off = 1.0 - np.eye(2)
    T, R = (np.full((1, 2, 2), params.T0) * off), (np.full((1, 2, 2), params.R0) * off)
    mean_T, max_R, per_phase = [tr.mean_trust(T)[0]], 0.0, []
    for name, action, periods in phases:
        start = mean_T[-1]
        s = tr.trust_signal(np.full((1, 2), action), np.full(2, 5.0), tr.signal_gain(params.kappa, np.ones(2)))
        for _ in range(periods):
            T, R = tr.trust_update(T, R, s, D, params)
            mean_T.append(tr.mean_trust(T)[0])
            max_R = max(max_R, float(R.max()))
        trace = np.array(mean_T[-periods:])
        per_phase.append({"phase": name, "signal": float(s[0, 0]), "start": float(start), "end": float(trace[-1]),
                          "mean": float(trace.mean()), "rate": float((trace[-1] - start) / periods)})
    align = sum(3 for p in per_phase if bands[p["phase"]][0] <= p["mean"] <= bands[p["phase"]][1])
    predict = sum(3 for p in per_phase if np.sign(p["end"] - p["start"]) == np.sign(p["signal"]))
    by = {p["phase"]: p for p in per_phase}
    erosion, building = -by["crisis"]["rate"], by["formation"]["rate"]
    mechanism = (5 * (building > 0 and erosion > 1.5 * building)
                 + 5 * (by["recovery"]["end"] < 0.9 * by["mature"]["end"]) + 5 * (max_R > 0.3))
    final = mean_T[-1]
    if window == "phase-end":
        transitions = int(sum(abs(b["end"] - a["end"]) > 0.05 for a, b in zip(per_phase, per_phase[1:])))
    else:   # mean_T[t] is the trust after t steps; a boundary after step t compares t - 1 with t + 1
        boundaries = np.cumsum([periods for _, _, periods in phases])[:-1]
        transitions = int(sum(abs(mean_T[t + 1] - mean_T[t - 1]) > 0.05 for t in boundaries))
    outcome = (7 if 0.2 <= final <= 0.8 else 4) + min(2 * transitions, 8)
    points = {"trust-state alignment": align, "behavioural prediction": predict,
              "mechanism validation": mechanism, "outcome correspondence": outcome}
    total = sum(points.values())
    return {"case": "Renault-Nissan", "window": window, "points": points, "total": int(total), "out_of": 60,
            "percent": 100.0 * total / 60, "phases": per_phase, "transitions": int(transitions),
            "max_damage": max_R, "final_trust": float(final)}


APPLE = dict(D=np.array([[0.0, 0.66, 0.71], [0.88, 0.0, 0.30], [0.92, 0.30, 0.0]]), rho0=0.85, eta=1.3, k=4,
             kappa=1.2, T0=0.7, lambda_R=1.0, omega=0.8, baseline=0.5, quarters=66)
APPLE_PARAMS = {"spec": APPLE,
                "reference": dict(APPLE, omega=0.6, start=(0.70, 0.65, 0.68),
                                  trust_start=((0.0, 0.7, 0.7), (0.7, 0.0, 0.5), (0.7, 0.5, 0.0)))}
APPLE_SHOCKS = {36: (0.0, -0.15, -0.10), 48: (-0.25, -0.40, 0.0), 54: (0.20, 0.0, 0.0)}
APPLE_INDICATORS = ("cooperation trend", "response magnitude", "memory effects", "asymmetry",
                    "trust-reciprocity alignment", "punishment", "forgiveness", "phase timing", "recovery shape",
                    "equilibrium stability", "parameter sensitivity", "overall fit")


def _apple_run(P: dict, rho0: float):
    shocks = np.zeros((P["quarters"] + 1, 3))
    for q, push in APPLE_SHOCKS.items():
        shocks[q] = push
    T0 = P["T0"] * (1.0 - np.eye(3)) if P.get("trust_start") is None else np.asarray(P["trust_start"])
    start = np.full(3, P["baseline"]) if P.get("start") is None else np.asarray(P["start"])
    out = rc.simulate(start, np.full(3, P["baseline"]), np.ones(3), P["D"], T0, rho0, P["eta"],
                      P["kappa"], P["k"], P["lambda_R"], P["omega"], P["quarters"], shocks=shocks,
                      trust=tr.TrustParams(T0=P["T0"]), record_trust=True)
    return out.actions, tr.mean_trust(out.trust)


def apple(params: str = "spec") -> dict:
    """The 12 x 5 Apple App Store indicator grid from the simulated quarters.

    ``params``: ``spec`` (SPEC section 7: omega .8, every agent from the
    baseline .5, trust .7 between all) or ``reference`` (where the reference
    suite's calibration differs: omega .6, start (.70, .65, .68), trust .5
    between the two developer groups).
    """
    if params not in APPLE_PARAMS:
        raise ValueError(f"params must be one of {sorted(APPLE_PARAMS)}, got {params!r}")
    P = APPLE_PARAMS[params]
    phases = tomllib.loads((resources.files("coopgym") / "data" / "apple_app_store.toml").read_text())["phase"]
    a, trust = _apple_run(P, P["rho0"])
    a_lo, _ = _apple_run(P, 0.85 * P["rho0"])
    a_hi, _ = _apple_run(P, 1.15 * P["rho0"])
    coop = a.mean(axis=1)
    grid, total, applicable = {}, 0.0, 0
    for ph in phases:
        q0, q1 = ph["quarters"]
        rows = np.arange(q0, q1 + 1)
        shocks = [q for q in APPLE_SHOCKS if q0 <= q <= q1]
        slope = coop[q1] - coop[q0 - 1]
        score = {}
        score["cooperation trend"] = 1.0 if np.sign(np.round(slope, 3)) == ph["trend"] else (
            0.5 if abs(slope) < 0.02 else 0.0)
        if shocks:
            q = shocks[0]
            hit = np.array(APPLE_SHOCKS[q]) != 0
            after = a[q + 1:min(q + 5, len(a))]
            moved = np.abs(after - a[q - 1]).max(axis=0)
            partners = moved[~hit] if (~hit).any() else moved
            score["response magnitude"] = 1.0 if partners.max() > 0.01 else (0.5 if partners.max() > 0.001 else 0.0)
            later = min(q + P["k"], len(a) - 1)
            score["memory effects"] = 1.0 if np.abs(a[later] - a[q - 1]).max() > 0.005 else 0.0
            dev_move, apple_move = np.abs(a[q + 1:] - a[q - 1])[:, 1:].mean(), np.abs(a[q + 1:, 0] - a[q - 1, 0]).mean()
            score["asymmetry"] = 1.0 if dev_move > apple_move else 0.0
            negative = sum(APPLE_SHOCKS[q]) < 0
            window = coop[q + 1:min(q + 5, len(coop))]   # the partners' answer, even past the phase's end
            score["punishment"] = (1.0 if window.min() < coop[q - 1] else 0.0) if negative else None
            change = np.abs(np.diff(coop[q0 - 1:q1 + 1]))
            score["phase timing"] = 1.0 if abs(q0 + int(np.argmax(change)) - q) <= 2 else 0.0
            score["equilibrium stability"] = None
        else:
            for name in ("response magnitude", "memory effects", "asymmetry", "punishment", "phase timing"):
                score[name] = None
            spread = coop[rows].std()
            score["equilibrium stability"] = 1.0 if spread < 0.01 else (0.5 if spread < 0.05 else 0.0)
        dT = trust[q1] - trust[q0 - 1]
        score["trust-reciprocity alignment"] = 1.0 if np.sign(np.round(dT, 3)) == np.sign(np.round(slope, 3)) else (
            0.5 if abs(dT) < 0.01 or abs(slope) < 0.01 else 0.0)
        damaged = coop[q0 - 1] < P["baseline"] - 0.01
        score["forgiveness"] = (1.0 if coop[q1] > coop[rows].min() + 1e-3 else 0.0) if damaged else None
        score["recovery shape"] = None
        if damaged and coop[q1] > coop[q0 - 1]:
            steps = np.diff(coop[q0 - 1:q1 + 1])
            score["recovery shape"] = 1.0 if steps.max() < 0.5 * (coop[q1] - coop[q0 - 1]) else 0.5
        end, lo, hi = coop[q1], a_lo[q1].mean(), a_hi[q1].mean()
        rel = max(abs(lo - end), abs(hi - end)) / max(abs(end), 1e-9)
        score["parameter sensitivity"] = 1.0 if rel < 0.2 else (0.5 if rel < 0.4 else 0.0)
        band = ph["band"]
        mean = coop[rows].mean()
        score["overall fit"] = 1.0 if band[0] <= mean <= band[1] else (
            0.5 if band[0] - 0.1 <= mean <= band[1] + 0.1 else 0.0)
        grid[ph["name"]] = {name: score[name] for name in APPLE_INDICATORS}
        scored = [v for v in score.values() if v is not None]
        total += sum(scored)
        applicable += len(scored)
    percent = 100.0 * total / max(applicable, 1)
    return {"case": "Apple App Store", "params": params, "grid": grid, "points": total, "applicable": applicable,
            "percent": percent, "passed": percent >= 83.0}


RUBRICS = ("spec", "reference")


def run_cases(rubric: str = "both", seed: int = 0) -> dict:
    """Every case under SPEC's rubric, the reference's, or both: {case: {rubric: result}}.

    Where the reference suite's rubric has constant parts (Renault-Nissan's trust
    alignment, most of Apple's indicators), coopgym keeps its own computed rubric
    and changes only what the issue names: Renault-Nissan's transition window,
    Apple's calibration. S-LCD has one rubric (the suite's, as SPEC writes it);
    its Monte Carlo runs under both noise models.
    """
    if rubric not in RUBRICS + ("both",):
        raise ValueError(f"rubric must be one of spec, reference, both; got {rubric!r}")
    chosen = RUBRICS if rubric == "both" else (rubric,)
    out = {"slcd": {"spec": [slcd("log"), slcd("power")]}, "slcd_null": slcd_null(seed=seed)}
    variants = {
        "slcd_monte_carlo": lambda r: slcd_monte_carlo(r, seed=seed),
        "apache": apache,
        "renault_nissan": lambda r: renault_nissan(window="phase-end" if r == "spec" else "one-step"),
        "apple": apple,
    }
    for case, run in variants.items():
        out[case] = {r: run(r) for r in chosen}
    if "reference" in chosen:   # the reference's bands on SPEC's experiment: separates rubric from experiment
        out["apache"]["reference_bands_spec_experiment"] = apache("reference", experiment="spec")
    return out
