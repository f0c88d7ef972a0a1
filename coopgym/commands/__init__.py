"""One module per `coopgym` command: ``configure(parser)`` and ``run(args)``."""

from __future__ import annotations

import os
from pathlib import Path


def check_output(path: str | os.PathLike | None, what: str) -> None:
    """Fail before any work when ``path`` (a file to write, its missing folders made on the way) cannot be
    written: a ValueError naming ``what``, the path and the reason (the CLI prints it as one line)."""
    if path is None:
        return
    p = Path(path).expanduser()
    if p.is_dir() and what != "output folder":
        raise ValueError(f"{what} {path}: is a folder, expected a file")
    if p.exists() and not p.is_dir() and what == "output folder":
        raise ValueError(f"{what} {path}: is a file, expected a folder")
    if p.exists() and not os.access(p, os.W_OK):
        raise ValueError(f"{what} {path}: not writable (permission denied)")
    ancestor = p if what == "output folder" else p.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"{what} {path}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {path}: cannot create it, {ancestor} is not writable (permission denied)")
