"""Sweeps: run a plan into the ledger, skipping finished runs, with a live progress bar.

Resuming is the same call: runs whose ``config_hash`` is recorded ``ok`` are
skipped; failed ones are retried unless ``retry_failed=False``. Every record
is committed as soon as it arrives, so killing the sweep (even with SIGKILL)
loses only the runs in flight. ``time_limit`` stops a long build cleanly: after
that many seconds no new run starts, the runs in flight finish and are
recorded, and the same call later goes on with the rest.
"""
from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .backends import RunFnSpec, make_backend, resolve_run_fn
from .ledger import Ledger, default_ledger_path
from .plan import summarise
from .records import RunConfig, unique


@dataclass
class SweepSummary:
    """What a sweep did."""

    planned: int
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    seconds: float = 0.0
    ledger: str = ""
    failures: list = field(default_factory=list)  # (run label, first line of the error)
    left: int = 0                                  # not started: the time limit was reached

    def line(self) -> str:
        left = f", {self.left} left for the next call (time limit reached)" if self.left else ""
        return (f"{self.planned} planned: {self.skipped} already recorded, {self.ok} ok, {self.failed} failed"
                f"{left} in {self.seconds:.1f} s -> {self.ledger}")


def split_done(configs: Sequence[RunConfig], ledger: Ledger, retry_failed: bool = True):
    """(configs still to run, number skipped because the ledger already has them)."""
    done = ledger.done(include_failed=not retry_failed)
    todo = [c for c in unique(configs) if c.config_hash not in done]
    return todo, len(unique(configs)) - len(todo)


@contextmanager
def _progress(enabled: bool, console, total: int):
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    bar = Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("[green]ok {task.fields[ok]}[/] [red]failed {task.fields[failed]}[/]"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=console, disable=not enabled, transient=False)
    with bar:
        yield bar, bar.add_task("sweep", total=total, ok=0, failed=0)


def run_sweep(configs: Sequence[RunConfig], ledger: str | os.PathLike | Ledger | None = None, *,
              backend: str = "local", workers: int | None = None, address: str | None = None,
              run_fn: RunFnSpec = None, retry_failed: bool = True, progress: bool = True,
              console=None, time_limit: float | None = None) -> SweepSummary:
    """Run every config not yet recorded and write each record to the ledger as it finishes;
    with ``time_limit`` (seconds), start no run after that long (see the module doc)."""
    from rich.console import Console
    from rich.markup import escape

    console = console or Console(stderr=True)
    t0 = time.perf_counter()
    if run_fn is None or isinstance(run_fn, str):
        resolve_run_fn(run_fn)  # a missing executor fails before the ledger is even created
    own = not isinstance(ledger, Ledger)
    book = Ledger(ledger) if own else ledger
    try:
        todo, skipped = split_done(configs, book, retry_failed)
        summary = SweepSummary(planned=len(todo) + skipped, skipped=skipped, ledger=str(book.path))
        if not todo:
            summary.seconds = time.perf_counter() - t0
            return summary
        todo.sort(key=lambda c: -c.steps)  # longest budgets first: a shorter tail
        started = [0]

        def until_deadline():
            for config in todo:
                if time_limit is not None and time.perf_counter() - t0 >= time_limit:
                    return
                started[0] += 1
                yield config

        runner = make_backend(backend, workers=workers, address=address, run_fn=run_fn)
        aborted = True
        try:
            with _progress(progress, console, len(todo)) as (bar, task):
                for record in runner.run(until_deadline()):
                    book.put(record)
                    if record.status == "ok":
                        summary.ok += 1
                    else:
                        summary.failed += 1
                        first = (record.error or "").splitlines()[0] if record.error else "?"
                        summary.failures.append((record.config.label(), first))
                        if progress and summary.failed <= 20:
                            more = " (further failures are only counted)" if summary.failed == 20 else ""
                            console.print(f"[red]failed[/] {escape(record.config.label())}: {escape(first)}{more}",
                                          markup=True, highlight=False)
                    bar.update(task, advance=1, ok=summary.ok, failed=summary.failed)
            aborted = False
            summary.left = len(todo) - started[0]
        finally:
            runner.close(abort=aborted)
    finally:
        if own:
            book.close()
    summary.seconds = time.perf_counter() - t0
    return summary


def plan_text(configs: Sequence[RunConfig], ledger_path: str | os.PathLike | None = None,
              retry_failed: bool = True, limit: int = 20) -> str:
    """The dry-run report: grid axes, counts against the ledger (read, never created) and the first runs."""
    configs = unique(configs)
    path = Path(ledger_path) if ledger_path is not None else default_ledger_path()
    done: set[str] = set()
    if path.exists():
        with Ledger(path, create=False) as book:
            done = book.done(include_failed=not retry_failed)
        state = f"ledger {path}"
    else:
        state = f"ledger {path} (does not exist yet; nothing recorded)"
    todo = [c for c in configs if c.config_hash not in done]
    lines = [f"plan: {len(configs)} runs; {len(configs) - len(todo)} already recorded in {state}; "
             f"{len(todo)} to run"]
    for axis, values in summarise(configs).items():
        shown = ", ".join(map(str, values[:12])) + (f", ... ({len(values)} in all)" if len(values) > 12 else "")
        lines.append(f"  {axis:<9} {shown}")
    for c in todo[:limit]:
        lines.append(f"  run {c.config_hash[:10]}  {c.label()}")
    if len(todo) > limit:
        lines.append(f"  ... and {len(todo) - limit} more")
    return "\n".join(lines)


def measure_overhead(configs: Sequence[RunConfig] | None = None, run_fn: RunFnSpec = None, *,
                     workers: int = 1, repeats: int = 3, synthetic_seconds: float = 0.02) -> dict:
    """The runner's overhead over calling the run function directly, for the same runs.

    Without ``configs`` it times 30 synthetic runs of ``synthetic_seconds`` each;
    with configs and no ``run_fn`` it times the executor. Each side is timed
    ``repeats`` times (alternating) and the fastest is kept. The runner side is a
    full sweep into a fresh ledger (plan dedup, skip check, backend, one commit
    per record, progress bookkeeping). Returns seconds and ``overhead`` (a fraction).
    """
    from .plan import expand

    if configs is None:
        configs = expand("constant/10,constant/90,heuristic/random", "A-v0,B-v0", "private,integrated",
                         "0-4", "0", policy_names=["constant/10", "constant/90", "heuristic/random"],
                         env_ids=["A-v0", "B-v0"])
        run_fn = run_fn or "coopgym.runner.synthetic:synthetic_run"
    fn = resolve_run_fn(run_fn)
    old = os.environ.get("COOPGYM_SYNTHETIC_SECONDS")
    os.environ["COOPGYM_SYNTHETIC_SECONDS"] = str(synthetic_seconds)
    direct, runner = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(repeats):
                t = time.perf_counter()
                for c in configs:
                    fn(c)
                direct.append(time.perf_counter() - t)
                t = time.perf_counter()
                run_sweep(configs, Path(tmp) / f"bench{i}.db", workers=workers, run_fn=run_fn, progress=False)
                runner.append(time.perf_counter() - t)
    finally:
        if old is None:
            os.environ.pop("COOPGYM_SYNTHETIC_SECONDS", None)
        else:
            os.environ["COOPGYM_SYNTHETIC_SECONDS"] = old
    d, r = min(direct), min(runner)
    return {"runs": len(configs), "workers": workers, "direct_seconds": d, "runner_seconds": r,
            "overhead": r / d - 1.0 if workers == 1 else r * workers / d - 1.0,
            "per_run_ms": (r - d / workers) / len(configs) * 1000}


def bench_runner() -> list[dict]:
    """`coopgym bench --runner`: the runner's overhead on synthetic runs of 20 ms (and 5 ms), and on
    the real executor (static policies on SLCD-v0) when it is available. Target: overhead < 5 %."""
    rows = []
    for seconds in (0.02, 0.005):
        rows.append({"run_fn": f"synthetic {seconds * 1000:.0f} ms", **measure_overhead(synthetic_seconds=seconds)})
    try:
        from .plan import expand

        resolve_run_fn(None)
        configs = expand("constant/50,heuristic/random,oracle/equilibrium", "SLCD-v0", "private,integrated", "0-4")
        rows.append({"run_fn": "executor", **measure_overhead(configs, None, repeats=2)})
    except Exception as err:  # noqa: BLE001 - the executor is optional here
        rows.append({"run_fn": "executor", "unavailable": f"{type(err).__name__}: {err}"[:200]})
    for row in rows:
        row.setdefault("unavailable", "")
        if "overhead" in row:
            row["overhead_percent"] = round(100 * row.pop("overhead"), 2)
    return rows
