"""`coopgym validate`: the behavioural targets (TR-3, TR-4) and the case-study rubrics.

    coopgym validate targets [--quick] [--json] [--seed S] [--strict]
    coopgym validate cases ...        (coopgym.validation.cases.run_cases)

The ``cases`` sub-command is a hook: ``coopgym.validation.cases`` provides
``run_cases(args) -> int`` and, optionally, ``configure(parser)`` to add its own
options (beside the shared --quick, --json, --seed and --strict).
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import math
import sys

WHAT = ("targets", "cases")
CASES = "coopgym.validation.cases"


def configure(parser):
    parser.add_argument("what", choices=WHAT,
                        help="targets: the TR-3/TR-4 behavioural-target suites; cases: the case-study rubrics")
    parser.add_argument("--quick", action="store_true",
                        help="sample the sweep spaces (seeded) instead of the full grid")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --quick sample (default 0)")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target fails")
    if importlib.util.find_spec(CASES) is not None:
        cases = importlib.import_module(CASES)
        if hasattr(cases, "configure"):
            cases.configure(parser)


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


def run_targets(args) -> int:
    from coopgym.validation import targets

    if sys.stderr.isatty():
        print(f"coopgym validate: TR-3 and TR-4 targets over the {'sampled' if args.quick else 'full'} "
              "sweep spaces ...", file=sys.stderr)
    report = targets.run_targets(quick=args.quick, seed=args.seed)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=float))
    else:
        print(format_report(report))
    failed = [t.name for suite in report.suites for t in suite.targets if not t.passed]
    return 1 if args.strict and failed else 0


def run(args) -> int:
    if args.what == "targets":
        return run_targets(args)
    if importlib.util.find_spec(CASES) is None:
        print("coopgym validate cases: the case-study rubrics (coopgym.validation.cases) are not available "
              "in this installation yet; `coopgym validate targets` runs the behavioural targets.")
        return 2
    return int(importlib.import_module(CASES).run_cases(args) or 0)
