"""The corpus: a ledger exported as JSONL + Parquet with Croissant 1.0 metadata (CC-BY-4.0).

Both files hold the same flat table, one row per run: scalars as columns,
list- and dict-valued fields (per-agent returns, learning curve, trust
trajectory, options, versions) as JSON text, so that one Croissant record
set describes either file. Non-finite floats are written as null. Read through
mlcroissant, the Parquet record set (``runs``) gives the ledger's records exactly;
the JSONL one (``runs_jsonl``) goes through ``pandas.read_json``, whose fast float
parser keeps about 15 significant digits of the scalar float columns (the
``json`` module reads the JSONL file exactly).

``mlcroissant`` validation does not flag every missing required Croissant 1.0
field (creator, datePublished), so :func:`check_metadata` checks the required
fields, the license and the files' sha256 itself, before asking mlcroissant.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

from .records import RunRecord

CROISSANT_1_0 = "http://mlcommons.org/croissant/1.0"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"  # CC-BY-4.0
PROJECT_URL = "https://github.com/coopgym/coopgym"  # set --url to the corpus' published location
METADATA, JSONL, PARQUET = "croissant.json", "runs.jsonl", "runs.parquet"
RECORD_SETS = {"runs": PARQUET, "runs_jsonl": JSONL}
REQUIRED = ("@context", "@type", "conformsTo", "name", "description", "license", "url", "creator",
            "datePublished", "distribution", "recordSet")
CITE = ("@misc{coopgym_corpus, title = {coopgym run corpus: mixed-motive multi-agent RL under strategic "
        "coopetition}, note = {environments after arXiv:2510.18802, 2510.24909, 2601.16237, 2604.01240}}")

# (column, Croissant dataType, description); JSON marks a JSON-encoded text column.
JSON_COLUMNS = ("options", "versions", "mean_return", "std_return", "learning_curve", "trajectory")
COLUMNS = (
    ("config_hash", "sc:Text", "sha256 of the canonical JSON of the run config; the record's key"),
    ("policy", "sc:Text", "policy name in the coopgym registry (e.g. ippo, constant/50, oracle/equilibrium)"),
    ("env", "sc:Text", "environment id (e.g. SLCD-v0)"),
    ("reward", "sc:Text", "reward layer: private, integrated, cooperative or m=<mutuality in [0, 2]>"),
    ("seed", "sc:Integer", "seed of the run"),
    ("steps", "sc:Integer", "training budget in environment steps (0: the policy does not train)"),
    ("eval_episodes", "sc:Integer", "evaluation episodes"),
    ("options", "sc:Text", "JSON object: extra environment options"),
    ("status", "sc:Text", "ok or failed"),
    ("error", "sc:Text", "error summary of a failed run (null if ok)"),
    ("started_at", "sc:DateTime", "start time, ISO-8601 UTC"),
    ("finished_at", "sc:DateTime", "end time, ISO-8601 UTC"),
    ("train_seconds", "sc:Float", "training wall time in seconds"),
    ("eval_seconds", "sc:Float", "evaluation wall time in seconds"),
    ("versions", "sc:Text", "JSON object: Python and library versions"),
    ("n_agents", "sc:Integer", "number of agents"),
    ("mean_return", "sc:Text", "JSON list: mean evaluation return per agent"),
    ("std_return", "sc:Text", "JSON list: standard deviation of the evaluation return per agent"),
    ("cooperation_rate", "sc:Float", "mean cooperation rate a_i / e_i over agents and steps"),
    ("final_trust", "sc:Float", "mean trust at the end of evaluation episodes (null without trust)"),
    ("oracle_return", "sc:Float", "equilibrium oracle's mean return per agent on the same env and reward"),
    ("gap_to_oracle", "sc:Float", "(R - R_oracle) / |R_oracle| x 100, R the mean over agents"),
    ("learning_curve", "sc:Text", "JSON list of [step, mean return] pairs"),
    ("mechanism", "sc:Text", "mechanism class of the environment (TR-1 .. TR-4)"),
    ("trajectory", "sc:Text", "JSON list: mean trust per evaluation step (null if not recorded)"),
)
_INT = {c for c, t, _ in COLUMNS if t == "sc:Integer"}
_FLOAT = {c for c, t, _ in COLUMNS if t == "sc:Float"}
_TIME = {c for c, t, _ in COLUMNS if t == "sc:DateTime"}


class CorpusError(ValueError):
    """A corpus that does not validate or cannot be read."""


def _context() -> dict[str, Any]:
    cr = {k: f"cr:{k}" for k in ("citeAs", "column", "equivalentProperty", "extract", "field", "fileProperty",
                                 "fileObject", "fileSet", "format", "includes", "isLiveDataset", "jsonPath",
                                 "key", "md5", "parentField", "path", "recordSet", "references", "regex",
                                 "repeated", "replace", "samplingRate", "separator", "source", "subField",
                                 "transform")}
    return {"@language": "en", "@vocab": "https://schema.org/", "sc": "https://schema.org/",
            "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
            "dct": "http://purl.org/dc/terms/", "conformsTo": "dct:conformsTo",
            "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
            "examples": {"@id": "cr:examples", "@type": "@json"}, **cr}


def record_row(record: RunRecord) -> dict[str, Any]:
    """A record as one flat corpus row."""
    data = record.to_dict()
    row = {}
    for col, _, _ in COLUMNS:
        value = data[col]
        if col in JSON_COLUMNS:
            value = None if value is None else json.dumps(value, sort_keys=True, allow_nan=False,
                                                          default=float)
        elif col in _FLOAT and value is not None:
            value = float(value) if math.isfinite(value) else None
        row[col] = value
    return row


def row_record(row: dict[str, Any]) -> RunRecord:
    """Inverse of :func:`record_row` (accepts bytes for text, as mlcroissant returns them)."""
    data = {}
    for col, _, _ in COLUMNS:
        value = row.get(col)
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        if value is not None:
            if col in _TIME and not isinstance(value, str):  # mlcroissant parses dates: back to our text
                value = _iso(value)
            elif col in JSON_COLUMNS:
                value = json.loads(value)
            elif col in _INT:
                value = int(value)
            elif col in _FLOAT:
                value = float(value)
                value = value if math.isfinite(value) else None
        data[col] = value
    for col, default in (("options", {}), ("versions", {}), ("mean_return", []), ("std_return", []),
                         ("learning_curve", []), ("train_seconds", 0.0), ("eval_seconds", 0.0)):
        data[col] = default if data[col] is None else data[col]
    return RunRecord.from_dict(data)


def _iso(value: Any) -> str:
    """A datetime (or pandas Timestamp) as ISO-8601 UTC text with milliseconds, as records store it."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_atomic(path: Path, writer) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    writer(tmp)
    os.replace(tmp, path)


def _write_parquet(rows: list[dict], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"sc:Text": pa.string(), "sc:DateTime": pa.string(), "sc:Integer": pa.int64(), "sc:Float": pa.float64()}
    schema = pa.schema([(c, types[t]) for c, t, _ in COLUMNS])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def metadata(dir_: Path, *, name: str, description: str, url: str, creator: str,
             date_published: str, n_runs: int) -> dict[str, Any]:
    """Croissant 1.0 JSON-LD describing the files in ``dir_``."""
    from .records import library_versions

    files = [{"@type": "cr:FileObject", "@id": fname, "name": fname, "contentUrl": fname,
              "encodingFormat": fmt, "sha256": _sha256(dir_ / fname),
              "description": f"{n_runs} run records, {label}"}
             for fname, fmt, label in ((PARQUET, "application/x-parquet", "Parquet"),
                                       (JSONL, "application/jsonlines", "JSON Lines, one run per line"))]
    files[1]["sameAs"] = PARQUET
    record_sets = [{"@type": "cr:RecordSet", "@id": rs, "name": rs,
                    "description": f"One record per run, read from {fname}.",
                    "key": {"@id": f"{rs}/config_hash"},
                    "field": [{"@type": "cr:Field", "@id": f"{rs}/{col}", "name": col, "description": desc,
                               "dataType": dtype,
                               "source": {"fileObject": {"@id": fname}, "extract": {"column": col}}}
                              for col, dtype, desc in COLUMNS]}
                   for rs, fname in RECORD_SETS.items()]
    return {"@context": _context(), "@type": "sc:Dataset", "name": name, "description": description,
            "conformsTo": CROISSANT_1_0, "license": LICENSE, "url": url, "citeAs": CITE,
            "creator": {"@type": "sc:Organization", "name": creator}, "datePublished": date_published,
            "version": library_versions().get("coopgym", "0.0.0"),
            "keywords": ["multi-agent reinforcement learning", "coopetition", "benchmark", "mixed-motive games"],
            "distribution": files, "recordSet": record_sets}


def export_corpus(records: Iterable[RunRecord], out_dir: str | os.PathLike, *, name: str = "coopgym-runs",
                  description: str | None = None, url: str = PROJECT_URL, creator: str = "coopgym contributors",
                  date_published: str | None = None, include_failed: bool = True,
                  validate: bool = True) -> Path:
    """Write runs.jsonl, runs.parquet and croissant.json into ``out_dir``; returns the metadata path."""
    recs = [r for r in records if include_failed or r.status == "ok"]
    if not recs:
        raise CorpusError("nothing to export: the ledger holds no runs" + ("" if include_failed else " with status ok"))
    recs.sort(key=lambda r: (r.env, r.reward, r.policy, r.steps, r.seed, r.config_hash))
    rows = [record_row(r) for r in recs]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    date = date_published or _dt.date.today().isoformat()
    _dt.date.fromisoformat(date[:10])  # raises ValueError on a malformed date

    def jsonl(path: Path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, sort_keys=False, allow_nan=False) + "\n")

    _write_atomic(out / JSONL, jsonl)
    _write_atomic(out / PARQUET, lambda p: _write_parquet(rows, p))
    desc = description or (f"{len(rows)} runs of coopgym policies on strategic-coopetition environments: "
                           "config, status, timings, per-agent returns, cooperation, trust, gap to the "
                           "equilibrium oracle, learning curves.")
    md = metadata(out, name=name, description=desc, url=url, creator=creator, date_published=date,
                  n_runs=len(rows))
    _write_atomic(out / METADATA, lambda p: p.write_text(json.dumps(md, indent=2), encoding="utf-8"))
    if validate:
        validate_corpus(out)
    return out / METADATA


def _metadata_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    p = p / METADATA if p.is_dir() else p
    if not p.is_file():
        raise FileNotFoundError(f"no Croissant metadata at {p}")
    return p


def check_metadata(md: dict[str, Any], root: Path | None = None) -> list[str]:
    """Problems with the required Croissant 1.0 fields, the license and (given ``root``) the files."""
    problems = [f"missing required field {key!r}" for key in REQUIRED if not md.get(key)]
    if md.get("conformsTo") and md["conformsTo"] != CROISSANT_1_0:
        problems.append(f"conformsTo is {md['conformsTo']!r}, expected {CROISSANT_1_0!r}")
    if md.get("license") and md["license"] != LICENSE:
        problems.append(f"license is {md['license']!r}, expected CC-BY-4.0 ({LICENSE})")
    creators = md.get("creator") or []
    for c in creators if isinstance(creators, list) else [creators]:
        if not (isinstance(c, dict) and c.get("name")) and not isinstance(c, str):
            problems.append(f"creator {c!r} has no name")
    if md.get("datePublished"):
        try:
            _dt.date.fromisoformat(str(md["datePublished"])[:10])
        except ValueError:
            problems.append(f"datePublished {md['datePublished']!r} is not an ISO-8601 date")
    for fo in md.get("distribution") or []:
        missing = [k for k in ("name", "contentUrl", "encodingFormat", "sha256") if not fo.get(k)]
        if missing:
            problems.append(f"file object {fo.get('name', '?')!r} lacks {', '.join(missing)}")
        elif root is not None:
            f = root / fo["contentUrl"]
            if not f.is_file():
                problems.append(f"file {f} is missing")
            elif _sha256(f) != fo["sha256"]:
                problems.append(f"file {f} does not match its sha256 (changed or corrupt)")
    return problems


def validate_corpus(path: str | os.PathLike) -> list[str]:
    """Check the metadata ourselves, then with mlcroissant. Returns mlcroissant's warnings; raises CorpusError."""
    import mlcroissant as mlc

    meta = _metadata_path(path)
    try:
        md = json.loads(meta.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CorpusError(f"{meta} is not JSON: {err}") from None
    problems = check_metadata(md, meta.parent)
    if problems:
        raise CorpusError(f"{meta} is not valid Croissant 1.0: " + "; ".join(problems))
    try:
        ds = mlc.Dataset(jsonld=str(meta))
    except mlc.ValidationError as err:
        raise CorpusError(f"{meta} does not validate with mlcroissant: {err}") from None
    return list(ds.metadata.ctx.issues.warnings) if hasattr(ds.metadata, "ctx") else []


def load_corpus(path: str | os.PathLike) -> list[RunRecord]:
    """Records of a corpus, read from its Parquet file (fast; checks the file's sha256)."""
    import pyarrow.parquet as pq

    meta = _metadata_path(path)
    md = json.loads(meta.read_text(encoding="utf-8"))
    problems = check_metadata(md, meta.parent)
    if problems:
        raise CorpusError(f"corpus {meta.parent} is damaged or incomplete: " + "; ".join(problems))
    return [row_record(r) for r in pq.read_table(meta.parent / PARQUET).to_pylist()]


def load_croissant(path: str | os.PathLike, record_set: str = "runs") -> list[RunRecord]:
    """Records of a corpus read through mlcroissant (``runs``: Parquet; ``runs_jsonl``: JSONL)."""
    import mlcroissant as mlc

    ds = mlc.Dataset(jsonld=str(_metadata_path(path)))
    prefix = f"{record_set}/"
    return [row_record({k[len(prefix):]: v for k, v in rec.items()}) for rec in ds.records(record_set=record_set)]
