"""`coopgym validate`: the behavioural targets (TR-3, TR-4), the case-study rubrics, and the reproducibility report.

    coopgym validate targets [--protocol spec|reference] [--quick] [--sensitivity] [--json] [--seed S] [--strict]
    coopgym validate cases [--rubric spec|reference|both] [--json] [--seed S]
    coopgym validate all [--quick] [--json] [--update-docs PATH]

``--protocol spec`` runs SPEC's experiments (coopgym.validation.targets),
``reference`` the reference code's own experiments on the same mechanism
functions (coopgym.validation.reference). ``all`` runs targets under both
protocols, the TR-4 threshold sensitivity, the TR-2 trust sweep and the cases
under both rubrics; ``--update-docs`` rewrites the generated tables of
docs/reproducibility.md from that run.
"""
from __future__ import annotations

import json
import math
import sys

WHAT = ("targets", "cases", "all")


def configure(parser):
    parser.add_argument("what", choices=WHAT, help="targets: the TR-3/TR-4 behavioural targets; cases: the "
                        "case-study rubrics; all: everything under both protocols and rubrics")
    parser.add_argument("--protocol", choices=("spec", "reference"), default=None,
                        help="targets: SPEC's experiments (default) or the reference code's, on coopgym's mechanisms")
    parser.add_argument("--rubric", choices=("spec", "reference", "both"), default=None,
                        help="cases: SPEC's rubrics (default), the reference suites' variants, or both")
    parser.add_argument("--quick", action="store_true", help="targets: a seeded sample of the sweep space "
                        "(spec protocol) or the reference suites' coarse grids (reference protocol)")
    parser.add_argument("--sensitivity", action="store_true",
                        help="targets, spec protocol: TR-4 pass rates at eps = .001, .005, .01, .02")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --quick sample and the Monte Carlo (default 0)")
    parser.add_argument("--strict", action="store_true", help="targets: exit with status 1 when a target fails")
    parser.add_argument("--update-docs", metavar="PATH",
                        help="all: rewrite the generated tables of PATH (docs/reproducibility.md)")


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f} %"


def format_report(report) -> str:
    """One table per suite: target, pass rate, published threshold, pass/fail."""
    lines = []
    for suite in report.suites:
        lines.append(f"{suite.suite} behavioural targets ({suite.mode}: {suite.n_configurations:,} configurations, "
                     f"{suite.seconds:.1f} s)")
        width = max(len(t.name) for t in suite.targets)
        lines.append(f"  {'target':<{width}}  {'pass rate':>9}  {'threshold':>9}  {'configs':>8}  result")
        for t in suite.targets:
            op = "=" if t.threshold >= 1.0 else ">"
            lines.append(f"  {t.name:<{width}}  {_pct(t.pass_rate):>9}  {op + ' ' + _pct(t.threshold):>9}  "
                         f"{t.n_configurations:>8,}  {'PASS' if t.passed else 'FAIL'}")
            if t.note:
                lines.append(f"  {'':<{width}}    ({t.note})")
        lines.append("")
    lines.append(f"median effort differentiation a*(theta=.9) / a*(theta=.1): {report.median_differentiation:.2f}x")
    return "\n".join(lines)


def format_sensitivity(rows: list[dict]) -> str:
    """TR-4 pass rates per visibility threshold eps."""
    names = [k for k in rows[0] if k != "eps"]
    lines = ["TR-4 pass rates by visibility threshold eps (spec protocol)",
             "  " + f"{'eps':>6}  " + "  ".join(f"{n[:12]:>12}" for n in names)]
    lines += ["  " + f"{r['eps']:>6g}  " + "  ".join(f"{_pct(r[n]):>12}" for n in names) for r in rows]
    return "\n".join(lines)


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        print(f"coopgym validate: {message} ...", file=sys.stderr)


def run_targets(args) -> int:
    from coopgym.validation import reference, targets

    _progress(f"TR-3 and TR-4 targets, {args.protocol} protocol")
    if args.protocol == "reference":
        report, sensitivity = reference.run_reference(quick=args.quick), None
    else:
        report = targets.run_targets(quick=args.quick, seed=args.seed)
        sensitivity = None
        if args.sensitivity:
            raw, _ = targets.tr4_raw(quick=args.quick, seed=args.seed)
            sensitivity = targets.tr4_sensitivity(raw)
    if args.json:
        out = report.to_dict()
        if sensitivity is not None:
            out["sensitivity"] = sensitivity
        print(json.dumps(out, indent=2, default=float))
    else:
        print(format_report(report))
        if sensitivity is not None:
            print("\n" + format_sensitivity(sensitivity))
    failed = [t.name for suite in report.suites for t in suite.targets if not t.passed]
    return 1 if args.strict and failed else 0


def format_cases(results: dict) -> str:
    """The case-study scores, each labelled with its rubric."""
    lines = []
    for r in results["slcd"]["spec"]:
        lines.append(f"S-LCD {r['case'].split()[-1]} [one rubric]: {r['total']}/60; equilibrium {r['equilibrium']} vs "
                     f"baseline {r['baseline']}; cooperation +{100 * r['cooperation_increase']:.1f} %, "
                     f"value +{100 * r['value_increase']:.1f} %")
        lines += [f"    {k:<24} {v}" for k, v in r["points"].items()]
    for protocol, mc in results["slcd_monte_carlo"].items():
        lines.append(f"S-LCD Monte Carlo [{protocol} noise, {mc['draws']} draws]: log mean {mc['log']['mean']:.1f}, "
                     f"power mean {mc['power']['mean']:.1f}, log beats power {_pct(mc['log_beats_power'])}, "
                     f"cooperation in [15, 50] %: log {_pct(mc['log']['historical_alignment'])}, "
                     f"power {_pct(mc['power']['historical_alignment'])}")
    null = results["slcd_null"]
    lines.append(f"S-LCD random-parameter null [{null['draws']:,} draws]: log mean {null['log_mean']:.2f}, power mean "
                 f"{null['power_mean']:.2f}, log beats power {_pct(null['log_beats_power'])}")
    for key, ap in results["apache"].items():
        label = {"spec": "SPEC rubric", "reference": "reference rubric and experiment",
                 "reference_bands_spec_experiment": "reference rubric on SPEC's experiment"}[key]
        lines.append(f"Apache [{label}]: {ap['total']}/60 = {ap['percent']:.1f} %")
        lines += [f"    {p['phase']:<11} effort {p['effort']:8.3f} (documented {p['documented']}/10)  {p['points']}/15"
                  for p in ap["phases"]]
    for key, rn in results["renault_nissan"].items():
        lines.append(f"Renault-Nissan [{key} rubric: {rn['window']} window]: {rn['total']}/60 = {rn['percent']:.1f} %; "
                     f"final trust {rn['final_trust']:.3f}, max damage {rn['max_damage']:.3f}")
        lines += [f"    {k:<24} {v}" for k, v in rn["points"].items()]
    for key, ap in results["apple"].items():
        lines.append(f"Apple App Store [{key} parameters]: {ap['points']:g} of {ap['applicable']} applicable = "
                     f"{ap['percent']:.1f} % ({'pass' if ap['passed'] else 'below'} the 83 % threshold)")
        lines.append("    " + " " * 29 + " ".join(f"{name[:6]:>6}" for name in ap["grid"]))
        for ind in next(iter(ap["grid"].values())):
            cells = [ap["grid"][p][ind] for p in ap["grid"]]
            lines.append(f"    {ind[:28]:<28} " + " ".join(f"{'n/a' if c is None else format(c, 'g'):>6}" for c in cells))
    return "\n".join(lines)


def run_cases(args) -> int:
    from coopgym.validation import cases

    _progress(f"case-study rubrics ({args.rubric})")
    results = cases.run_cases(args.rubric, seed=args.seed)
    print(json.dumps(results, indent=2, default=float) if args.json else format_cases(results))
    return 0


def run_all(args) -> int:
    from coopgym.validation import repro

    _progress("targets under both protocols, sensitivity, trust sweep, cases under both rubrics")
    results = repro.run_all(quick=args.quick, seed=args.seed)
    if args.update_docs:
        from pathlib import Path

        if args.quick:
            print("coopgym validate all: --update-docs needs the full run (drop --quick)", file=sys.stderr)
            return 2
        path = Path(args.update_docs)
        path.write_text(repro.with_tables(path.read_text(), results))
        print(f"updated the generated tables in {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2, default=float))
    elif not args.update_docs:
        print(repro.table(results))
    return 0


# which sub-command each option belongs to
OPTION_OWNERS = {"protocol": ("targets",), "rubric": ("cases",), "sensitivity": ("targets",),
                 "strict": ("targets",), "update_docs": ("all",)}


def run(args) -> int:
    for option, owners in OPTION_OWNERS.items():
        if getattr(args, option) not in (None, False) and args.what not in owners:
            flag = "--" + option.replace("_", "-")
            hint = " (all runs both protocols and both rubrics)" if args.what == "all" else ""
            print(f"coopgym validate {args.what}: {flag} applies to `coopgym validate {' / '.join(owners)}`{hint}",
                  file=sys.stderr)
            return 2
    if args.sensitivity and args.protocol == "reference":
        print("coopgym validate targets: --sensitivity applies to the spec protocol (the reference protocol's "
              "criteria have no visibility threshold)", file=sys.stderr)
        return 2
    args.protocol = args.protocol or "spec"
    args.rubric = args.rubric or "spec"
    return {"targets": run_targets, "cases": run_cases, "all": run_all}[args.what](args)
