"""`coopgym corpus build|export|validate`: a ledger as Parquet with Croissant 1.0 metadata (CC-BY-4.0).

``build`` is the one command behind a released corpus: it runs a plan into
``DIR/ledger.sqlite`` (resuming whatever is already there), exports the plan's
records into DIR and writes the build status into DIR/README.md (between its
``build-status`` markers). A build may span sessions: ``--time-limit`` stops
starting runs after that long, and the export then says how many of the plan's
runs it holds; ``--export-only`` exports without running anything.
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
    build.add_argument("--time-limit", type=float, default=None, metavar="HOURS",
                       help="start no run after this many hours (runs in flight finish); run again to go on")
    build.add_argument("--export-only", action="store_true", help="run nothing: export what the ledger holds")
    build.add_argument("--jsonl", action="store_true", help="also write runs.jsonl (not released, not in git)")
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
    exp.add_argument("--jsonl", action="store_true", help="also write the rows as JSON Lines (runs.jsonl)")
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
        return _build(args)
    from coopgym.commands import check_output

    check_output(args.out, "output folder")
    records = read_records(args.ledger or default_ledger_path())
    path = corpus.export_corpus(records, args.out, name=args.name, url=args.url or corpus.PROJECT_URL,
                                creator=args.creator, date_published=args.date, include_failed=not args.ok_only,
                                jsonl=args.jsonl, validate=not args.no_validate)
    kept = sum(1 for r in records if not args.ok_only or r.status == "ok")
    files = ", ".join([corpus.PARQUET, corpus.METADATA] + ([corpus.JSONL] if args.jsonl else []))
    print(f"exported {kept} runs to {path.parent} ({files})"
          + ("" if args.no_validate else "; Croissant metadata validated"))
    return 0


def _build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from coopgym.runner import corpus, plan
    from coopgym.runner.ledger import Ledger, read_records
    from coopgym.runner.sweep import run_sweep

    if args.time_limit is not None and args.time_limit <= 0:
        raise ValueError(f"--time-limit must be a positive number of hours, got {args.time_limit}")
    from coopgym.commands import check_output

    configs, _ = plan.from_file(args.plan)
    check_output(args.out, "output folder")
    out = Path(args.out)
    ledger = out / "ledger.sqlite"
    if args.export_only:
        if not ledger.exists():
            raise FileNotFoundError(f"no build to export: {ledger} does not exist")
    else:
        out.mkdir(parents=True, exist_ok=True)
        with Ledger(ledger) as book:
            if (out / corpus.METADATA).exists():   # another session's build, released as Parquet: go on from it
                seeded = corpus.seed_ledger(book, out, {c.config_hash for c in configs})
                if seeded:
                    print(f"resuming from {out / corpus.PARQUET}: {seeded} finished runs of the plan")
            limit = None if args.time_limit is None else args.time_limit * 3600
            print(run_sweep(configs, book, backend=args.backend, workers=args.workers, address=args.address,
                            time_limit=limit).line())
    wanted = {c.config_hash for c in configs}
    records = [r for r in read_records(ledger) if r.config_hash in wanted]
    path = corpus.export_corpus(records, out, name="coopgym-reference-corpus", url=args.url or corpus.PROJECT_URL,
                                creator="coopgym contributors", date_published=args.date, include_failed=True,
                                planned=len(wanted), jsonl=args.jsonl, validate=True)
    status = corpus.build_status(records, len(wanted), args.plan)
    readme = out / "README.md"
    written = corpus.write_build_status(readme, status)
    print(f"exported {corpus.completeness(records, len(wanted))} to {path.parent}; Croissant metadata validated"
          + (f"; status in {readme}" if written else ""))
    return 0
