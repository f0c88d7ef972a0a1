"""One checkout per process: coopgym's top-level parts must come from the same tree as coopgym itself.

``coopgym.envs``, ``coopgym.baselines`` and ``coopgym.oracles`` are the repository's
top-level folders envs/, baselines/ and oracles/, installed under the one name
``coopgym`` by setuptools' ``package-dir`` mapping: inside coopgym/ in a wheel, beside
it in a checkout (an editable install). A copy of a checkout run from its own folder
finds its own ``coopgym`` first, but having no coopgym/envs it would get the
*installed* checkout's envs through the editable install's finder: two versions of
the code in one process. ``require_same_tree`` refuses that at import, naming both places.
"""
from __future__ import annotations

from pathlib import Path


def require_same_tree(part_file: str, part: str) -> None:
    """Raise ImportError unless the package in whose ``__init__`` ``part_file`` is lives in coopgym's
    own tree (inside coopgym/ or beside it)."""
    core = Path(__file__).resolve().parent
    folder = Path(part_file).resolve().parent
    if folder.parent not in (core, core.parent):
        raise ImportError(
            f"two copies of coopgym are mixed: coopgym is imported from {core} but {part} from {folder}. "
            f"Install the copy you run ('pip install -e {core.parent}') or run from the installed one.")
