"""`coopgym corpus build|export|validate`: a ledger as JSONL + Parquet with Croissant 1.0 metadata (CC-BY-4.0).

``build`` is the one command behind a released corpus: it runs a plan into
``DIR/ledger.sqlite`` (resuming whatever is already there) and exports it into DIR.
"""
from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = sub.add_parser("build", help="run a plan into DIR/ledger.sqlite, then export DIR")
    build.add_argument("--plan", metavar="FILE", required=True, help="TOML run plan (e.g. corpus/plan.toml)")
    build.add_argument("--out", metavar="DIR", required=True, help="corpus directory")
    build.add_argument("--workers", type=int, default=None, help="parallel runs (default: CPU count)")
    build.add_argument("--backend", choices=("local", "ray"), default="local")
    build.add_argument("--address", default=None, help="Ray cluster address")
    build.add_argument("--date", default=None, help="datePublished, YYYY-MM-DD (default: today)")
    build.add_argument("--url", default=None, help="where the corpus is published (Croissant 'url')")
    exp = sub.add_parser("export", help="export a ledger as a Croissant corpus")
    exp.add_argument("--ledger", metavar="PATH", help="run ledger (default: $COOPGYM_LEDGER or coopgym-runs/ledger.db)")
    exp.add_argument("--out", metavar="DIR", required=True, help="output directory")
    exp.add_argument("--name", default="coopgym-runs", help="dataset name")
    exp.add_argument("--url", default=None, help="where the corpus is published (Croissant 'url')")
    exp.add_argument("--creator", default="coopgym contributors", help="creator (organisation or person)")
    exp.add_argument("--date", default=None, help="datePublished, YYYY-MM-DD (default: today)")
    exp.add_argument("--ok-only", action="store_true", help="leave failed runs out")
    exp.add_argument("--no-validate", action="store_true", help="skip the validation after writing")
    val = sub.add_parser("validate", help="validate a corpus directory (required fields, sha256, mlcroissant)")
    val.add_argument("dir", metavar="DIR")


def run(args: argparse.Namespace) -> int:
    from coopgym.runner import corpus
    from coopgym.runner.ledger import default_ledger_path, read_records

    if args.action == "validate":
        warnings = corpus.validate_corpus(args.dir)
        n = len(corpus.load_corpus(args.dir))
        print(f"{args.dir}: valid Croissant 1.0, {n} runs" + (f"; {len(warnings)} warning(s)" if warnings else ""))
        for w in warnings:
            print(f"  warning: {w}")
        return 0
    if args.action == "build":
        from pathlib import Path

        from coopgym.runner import plan
        from coopgym.runner.ledger import Ledger
        from coopgym.runner.sweep import run_sweep

        configs, _ = plan.from_file(args.plan)
        ledger = Path(args.out) / "ledger.sqlite"
        ledger.parent.mkdir(parents=True, exist_ok=True)
        with Ledger(ledger) as book:
            print(run_sweep(configs, book, backend=args.backend, workers=args.workers, address=args.address).line())
        wanted = {c.config_hash for c in configs}
        records = [r for r in read_records(ledger) if r.config_hash in wanted]
        path = corpus.export_corpus(records, args.out, name="coopgym-reference-corpus",
                                    url=args.url or corpus.PROJECT_URL,
                                    creator="coopgym contributors", date_published=args.date,
                                    include_failed=True, validate=True)
        print(f"exported {len(records)} runs to {path.parent}; Croissant metadata validated")
        return 0
    records = read_records(args.ledger or default_ledger_path())
    path = corpus.export_corpus(records, args.out, name=args.name, url=args.url or corpus.PROJECT_URL,
                                creator=args.creator, date_published=args.date, include_failed=not args.ok_only,
                                validate=not args.no_validate)
    kept = sum(1 for r in records if not args.ok_only or r.status == "ok")
    print(f"exported {kept} runs to {path.parent} ({corpus.JSONL}, {corpus.PARQUET}, {corpus.METADATA})"
          + ("" if args.no_validate else "; Croissant metadata validated"))
    return 0
