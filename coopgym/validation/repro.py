"""The reproducibility report: every published figure beside the reference code's run and coopgym's two protocols.

``run_all`` computes every coopgym figure (targets under both protocols, the
TR-4 threshold sensitivity, the TR-2 trust sweep, the cases under both
rubrics); ``figures`` flattens that into named numbers; ``table`` renders the
rows of coopgym/data/reproducibility.toml (published figures, the reference
code's runs, causes and commands, all declared there with their sources) with
coopgym's columns filled from ``figures``. ``with_tables`` rewrites the
generated tables of docs/reproducibility.md, as ``coopgym validate all
--update-docs docs/reproducibility.md`` does.
"""
from __future__ import annotations

import dataclasses
import time
from importlib import resources

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from coopgym.validation import cases, reference, targets, trust_sweep

TABLE_MARKERS = ("<!-- repro:table:begin -->", "<!-- repro:table:end -->")
SENSITIVITY_MARKERS = ("<!-- repro:sensitivity:begin -->", "<!-- repro:sensitivity:end -->")
COLUMNS = ("figure", "published", "reference code (run)", "coopgym, spec protocol", "coopgym, reference protocol",
           "cause", "command")


def run_all(quick: bool = False, seed: int = 0) -> dict:
    """Everything ``coopgym validate all`` computes, as JSON-ready data."""
    start = time.perf_counter()
    tr3 = targets.tr3_targets(quick=quick, seed=seed)
    simulated = time.perf_counter()
    raw, k_values = targets.tr4_raw(quick=quick, seed=seed)
    tr4 = targets.tr4_targets(quick=quick, seed=seed, raw=raw)
    tr4 = dataclasses.replace(tr4, seconds=time.perf_counter() - simulated, stats={**tr4.stats, "k_values": k_values})
    spec = targets.TargetsReport((tr3, tr4), tr3.stats["median_differentiation"])
    return {
        "quick": quick,
        "targets": {"spec": spec.to_dict(), "reference": reference.run_reference(quick=quick).to_dict()},
        "sensitivity": targets.tr4_sensitivity(raw),
        "trust_sweep": trust_sweep.run(quick=quick),
        "cases": cases.run_cases("both", seed=seed),
        "seconds": time.perf_counter() - start,
    }


def cheap(seed: int = 0) -> dict:
    """The parts of ``run_all`` that take seconds (everything but the spec protocol's full TR-4 grid)."""
    return {
        "targets": {"spec": targets.TargetsReport((targets.tr3_targets(seed=seed),), 0.0).to_dict(),
                    "reference": reference.run_reference().to_dict()},
        "trust_sweep": trust_sweep.run(),
        "cases": cases.run_cases("both", seed=seed),
    }


def figures(results: dict) -> dict:
    """Named coopgym figures from ``run_all``'s (or ``cheap``'s) results."""
    out = {}
    for protocol, report in results.get("targets", {}).items():
        for suite in report["suites"]:
            for t in suite["targets"]:
                out[f"{suite['suite']}.{protocol}.{t['name']}"] = t["pass_rate"]
            for key in ("median_differentiation", "median_synergy"):
                if key in suite["stats"]:
                    out[f"{suite['suite']}.{protocol}.{key}"] = suite["stats"][key]
            out[f"{suite['suite']}.{protocol}.configurations"] = suite["n_configurations"]
    for row in results.get("sensitivity", []):
        for name, rate in row.items():
            if name != "eps":
                out[f"TR-4.eps={row['eps']:g}.{name}"] = rate
    for name, value in results.get("trust_sweep", {}).items():
        out[f"TR-2.{name}"] = value
    c = results.get("cases")
    if c:
        for r in c["slcd"]["spec"]:
            spec = r["case"].split()[-1]
            out.update({f"slcd.{spec}.total": r["total"], f"slcd.{spec}.cooperation": r["cooperation_increase"],
                        f"slcd.{spec}.value": r["value_increase"], f"slcd.{spec}.equilibrium": tuple(r["equilibrium"]),
                        f"slcd.{spec}.baseline": tuple(r["baseline"])})
        for protocol, mc in c["slcd_monte_carlo"].items():
            out[f"slcd_mc.{protocol}.log_beats_power"] = mc["log_beats_power"]
            for spec in ("log", "power"):
                out[f"slcd_mc.{protocol}.{spec}.mean"] = mc[spec]["mean"]
                out[f"slcd_mc.{protocol}.{spec}.alignment"] = mc[spec]["historical_alignment"]
        out.update({f"slcd_null.{k}": v for k, v in c["slcd_null"].items()})
        for key, ap in c["apache"].items():
            out[f"apache.{key}.total"] = ap["total"]
        for key, rn in c["renault_nissan"].items():
            out[f"rn.{key}.total"] = rn["total"]
            out[f"rn.{key}.blocks"] = tuple(rn["points"].values())
        for key, ap in c["apple"].items():
            out[f"apple.{key}.score"] = (ap["points"], ap["applicable"])
    return out


FORMATS = {
    "pct": lambda x: f"{100 * x:.1f} %",
    "x": lambda x: f"{x:.2f}x",
    "num": lambda x: f"{x:.2f}",
    "count": lambda x: f"{x:,}",
    "score60": lambda x: f"{x}/60 ({100 * x / 60:.1f} %)",
    "pair": lambda x: "(" + ", ".join(f"{v:.2f}" for v in x) + ")",
    "blocks": lambda x: " / ".join(str(int(v)) for v in x),
    "applicable": lambda x: f"{x[0]:g}/{x[1]} ({100 * x[0] / x[1]:.1f} %)",
}


def rows() -> list[dict]:
    """The report's rows as declared in coopgym/data/reproducibility.toml."""
    text = (resources.files("coopgym") / "data" / "reproducibility.toml").read_text()
    return tomllib.loads(text)["row"]


def cell(spec: str, fmt: str, figs: dict) -> str:
    """A coopgym column: ``text:...`` is literal, anything else names a figure (KeyError if it is missing)."""
    if spec.startswith("text:"):
        return spec[5:]
    return FORMATS[fmt](figs[spec])


def render_row(row: dict, figs: dict) -> str:
    cells = (row["figure"], row["published"], row["reference_run"], cell(row["spec"], row["format"], figs),
             cell(row["reference"], row["format"], figs), row["cause"], f"`{row['command']}`")
    return "| " + " | ".join(cells) + " |"


def table(results: dict) -> str:
    figs = figures(results)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    return "\n".join(lines + [render_row(r, figs) for r in rows()])


def sensitivity_table(results: dict) -> str:
    names = [name for name, _, _ in targets.TR4_TARGETS] + ["forgiveness_relative"]
    lines = ["| eps | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    for r in results["sensitivity"]:
        lines.append(f"| {r['eps']:g} | " + " | ".join(FORMATS["pct"](r[n]) for n in names) + " |")
    return "\n".join(lines)


def _replace(text: str, markers: tuple[str, str], render) -> str:
    begin, end = markers
    if begin not in text or end not in text:
        raise ValueError(f"the document has no {begin} ... {end} markers")
    head, rest = text.split(begin, 1)
    return head + begin + "\n" + render() + "\n" + end + rest.split(end, 1)[1]


def with_tables(doc: str, results: dict) -> str:
    """``doc`` with its generated tables (the report table, the TR-4 sensitivity table) rewritten from ``results``."""
    doc = _replace(doc, TABLE_MARKERS, lambda: table(results))
    return _replace(doc, SENSITIVITY_MARKERS, lambda: sensitivity_table(results))
