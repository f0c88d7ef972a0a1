"""Execution backends: in-process, a local process pool, or Ray. All yield records as runs finish.

Workers only compute; the parent (the sweep) writes each record to the
ledger as it arrives. A run that raises becomes a ``failed`` record inside
the worker (:func:`run_guarded`), so one bad run never stops a sweep. The run
function is given as a callable or as a dotted path ``"module:function"``,
resolved in the worker; the default is the executor,
``coopgym.runner.execute:execute``.
"""
from __future__ import annotations

import importlib
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator, Union

from .records import RunConfig, RunRecord, library_versions, summarise_error, utc_now

RunFn = Callable[[RunConfig], RunRecord]
RunFnSpec = Union[str, RunFn, None]
DEFAULT_RUN_FN = "coopgym.runner.execute:execute"
BACKENDS = ("local", "ray")
_resolved: dict[str, RunFn] = {}


def die_with_parent(parent_pid: int) -> None:
    """A pool worker's initializer: end the worker when the sweep that started it dies, even by SIGKILL
    (which gives the executor no chance to shut its pool down, leaving ~400 MB workers behind). On
    Linux the kernel does it (prctl PR_SET_PDEATHSIG, through ctypes: the standard library has no
    binding); elsewhere a daemon thread polls the parent's pid."""
    import signal
    import sys
    import threading
    import time

    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:   # 1 = PR_SET_PDEATHSIG
            if os.getppid() != parent_pid:                 # the parent died before the call
                os._exit(1)
            return

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()


def resolve_run_fn(spec: RunFnSpec = None) -> RunFn:
    """A callable from a callable, a ``"module:function"`` path, or None (the executor)."""
    if callable(spec):
        return spec
    path = spec or DEFAULT_RUN_FN
    if path not in _resolved:
        module, _, name = path.partition(":")
        try:
            fn = getattr(importlib.import_module(module), name or "execute")
        except (ImportError, AttributeError) as err:
            raise ValueError(f"run function {path!r} is not available: {err}") from err
        if not callable(fn):
            raise TypeError(f"run function {path!r} is not callable")
        _resolved[path] = fn
    return _resolved[path]


def run_guarded(config: RunConfig, run_fn: RunFnSpec = None) -> RunRecord:
    """Run one config; an exception becomes a failed record. Fills timings and versions if missing."""
    started = utc_now()
    try:
        record = resolve_run_fn(run_fn)(config)
        if not isinstance(record, RunRecord):
            raise TypeError(f"run function returned {type(record).__name__}, not a RunRecord")
        if record.config_hash != config.config_hash:
            raise ValueError(f"run function returned a record of another config ({record.config.label()})")
    except Exception as exc:  # noqa: BLE001 - any failure of a run is data, not a crash of the sweep
        record = RunRecord.failure(config, summarise_error(exc))
    record.started_at = record.started_at or started
    record.finished_at = record.finished_at or utc_now()
    record.versions = record.versions or library_versions()
    return record


def _lost(config: RunConfig, why: str) -> RunRecord:
    """A failed record for a run whose worker was lost (the run itself raised nothing we saw)."""
    return RunRecord.failure(config, f"RuntimeError: {why}", finished_at=utc_now(), versions=library_versions())


class SerialBackend:
    """Runs in this process, one after another (``--workers 1``): least overhead, easiest to debug."""

    name = "serial"

    def __init__(self, run_fn: RunFnSpec = None):
        self.run_fn = resolve_run_fn(run_fn)

    def run(self, configs: Iterable[RunConfig]) -> Iterator[RunRecord]:
        for config in configs:
            yield run_guarded(config, self.run_fn)

    def close(self, abort: bool = False) -> None:
        pass


class LocalBackend:
    """A pool of ``workers`` spawned processes (spawn: safe beside the progress bar's thread).

    At most ``2 x workers`` runs are in flight. If a worker process dies (killed,
    out of memory, crashed), the pool breaks and every run in flight is suspect:
    the pool is restarted, the other runs go on, and the suspects are re-run one
    at a time at the end, so only a run that kills its worker alone is recorded
    as failed.
    """

    name = "local"

    def __init__(self, workers: int | None = None, run_fn: RunFnSpec = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        if isinstance(run_fn, str) or run_fn is None:
            resolve_run_fn(run_fn)  # fail fast in the parent with a clear error
        self.run_fn = run_fn
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        self.close(abort=True)
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=die_with_parent, initargs=(os.getpid(),))
        return self._pool

    def run(self, configs: Iterable[RunConfig]) -> Iterator[RunRecord]:
        suspects: list[RunConfig] = []
        yield from self._drive(iter(configs), 2 * self.workers, suspects)
        for config in suspects:  # alone in the pool: if the pool breaks now, this run broke it
            lone: list[RunConfig] = []
            yield from self._drive(iter([config]), 1, lone)
            if lone:
                yield _lost(config, "its worker process died while running it alone (killed, out of memory "
                                    "or crashed, e.g. a segfault in native code)")

    def _drive(self, todo: Iterator[RunConfig], window: int, suspects: list) -> Iterator[RunRecord]:
        """Run ``todo`` with ``window`` runs in flight; runs caught in a broken pool go to ``suspects``."""
        pool = self._pool or self._new_pool()
        pending: dict[Future, RunConfig] = {}
        unsent: list[RunConfig] = []  # refused by a pool that broke before we saw it: never started
        try:
            while True:
                while len(pending) < window:
                    config = unsent.pop() if unsent else next(todo, None)
                    if config is None:
                        break
                    try:
                        pending[pool.submit(run_guarded, config, self.run_fn)] = config
                    except BrokenProcessPool:
                        unsent.append(config)
                        break
                if not pending:
                    if not unsent:
                        return
                    pool = self._new_pool()
                    continue
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for fut in finished:
                    config = pending.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenProcessPool:
                        broken = True
                        suspects.append(config)
                    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable record
                        yield _lost(config, f"the run could not be sent to or returned from a worker: {exc!r}")
                if broken:
                    suspects.extend(pending.values())
                    pending.clear()
                    pool = self._new_pool()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self, abort: bool = False) -> None:
        """Shut the pool down; ``abort`` (interrupt, error) also terminates runs still in flight."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            if abort:
                procs = list(getattr(pool, "_processes", {}).values())  # no public API before 3.14
                pool.shutdown(wait=False, cancel_futures=True)
                for proc in procs:
                    proc.terminate()
            else:
                pool.shutdown(wait=True, cancel_futures=True)


class RayBackend:
    """Ray tasks (one CPU each). Connects to ``address`` (e.g. ``ray://head:10001`` or ``auto``);
    without one, starts a local Ray unless Ray is already initialised in this process.
    Cluster nodes need coopgym installed (or a ``runtime_env``)."""

    name = "ray"

    def __init__(self, address: str | None = None, run_fn: RunFnSpec = None, num_cpus: int | None = None):
        import ray

        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kwargs = {"address": address} if address else {"num_cpus": num_cpus}
            ray.init(**kwargs, include_dashboard=False, log_to_driver=False)
            self._started = True
        if isinstance(run_fn, str) or run_fn is None:
            resolve_run_fn(run_fn)
        self.run_fn = run_fn
        self._task = ray.remote(num_cpus=1)(run_guarded)

    def run(self, configs: Iterable[RunConfig]) -> Iterator[RunRecord]:
        ray = self._ray
        window = 2 * max(1, int(ray.cluster_resources().get("CPU", 1)))
        todo = iter(configs)
        pending: dict = {}
        try:
            while True:
                while len(pending) < window:
                    config = next(todo, None)
                    if config is None:
                        break
                    pending[self._task.remote(config, self.run_fn)] = config
                if not pending:
                    return
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    config = pending.pop(ref)
                    try:
                        yield ray.get(ref)
                    except Exception as exc:  # noqa: BLE001 - worker or node lost: record, go on
                        yield _lost(config, f"the Ray task failed: {type(exc).__name__}: {str(exc)[:500]}")
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def close(self, abort: bool = False) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


def make_backend(name: str = "local", *, workers: int | None = None, address: str | None = None,
                 run_fn: RunFnSpec = None):
    """``local`` (a process pool; in-process when ``workers == 1``) or ``ray``."""
    if name == "local":
        if address:
            raise ValueError("--address is for --backend ray; the local backend runs on this machine")
        if workers is not None and workers < 1:
            raise ValueError(f"--workers must be >= 1, got {workers}")
        return SerialBackend(run_fn) if workers == 1 else LocalBackend(workers, run_fn)
    if name == "ray":
        return RayBackend(address, run_fn, num_cpus=workers)
    raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")

