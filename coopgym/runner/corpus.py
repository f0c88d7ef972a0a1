"""The corpus: a ledger exported as Parquet with Croissant 1.0 metadata (CC-BY-4.0).

``runs.parquet`` holds one row per run: scalars as columns, one float column per run metric (``return``,
``welfare``, ``equality``, ``cooperation``, ``trust``: :mod:`coopgym.runner.metrics`), start and end as UTC
timestamps, and the list- and dict-valued fields as native Parquet lists and structs (per-agent returns, the
learning curve, the training curve, the trust trajectory, the versions, the options as name/value pairs);
the Croissant metadata describes them as repeated fields and subfields, so mlcroissant reads them too.
Non-finite floats are written as null. Read back (:func:`load_corpus`, or mlcroissant), the records equal the
ledger's exactly. Only the Parquet file and the metadata are released (and kept in git); JSON Lines is an
export on request (``--jsonl``): the same rows one per line, as JSON values, not described by the metadata.

A partial build (a resumable plan interrupted, or exported before it finished) says so: the metadata's
description and the build status give how many of the plan's runs it holds.

``mlcroissant`` validation does not flag every missing required Croissant 1.0
field (creator, datePublished), so :func:`check_metadata` checks the required
fields, the license and the files' sha256 itself, before asking mlcroissant.
Corpora of the first release (v1: JSONL and Parquet, no metric columns) still load: their records are
converted as :meth:`RunRecord.from_dict` describes.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from .metrics import METRICS
from .records import LEGACY_FIELDS, SCENARIO_FIELDS, RunRecord

CROISSANT_1_0 = "http://mlcommons.org/croissant/1.0"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"  # CC-BY-4.0
PROJECT_URL = "https://github.com/coopgym/coopgym"  # set --url to the corpus' published location
METADATA, JSONL, PARQUET = "croissant.json", "runs.jsonl", "runs.parquet"
RECORD_SET = "runs"
REQUIRED = ("@context", "@type", "conformsTo", "name", "description", "license", "url", "creator",
            "datePublished", "distribution", "recordSet")
CITE = ("@misc{coopgym_corpus, title = {coopgym run corpus: mixed-motive multi-agent RL under strategic "
        "coopetition}, note = {environments after arXiv:2510.18802, 2510.24909, 2601.16237, 2604.01240}}")

# The columns: (name, Croissant dataType, description). Lists, structs and timestamps are native Parquet
# types (NESTED gives their shape); ``options`` is a list of {name, value} pairs whose value is the option's
# JSON text, because an option may be a number, a string, a list or a table and a Parquet column has one type.
EVAL_FIELDS = ("steps", *METRICS)
NESTED = {
    "options": ("pairs", "list of {name, value}: the environment options (value: the option's JSON text)"),
    "eval_at": ("ints", "list of env-step counts at which the learner was evaluated during training"),
    "versions": ("struct", "Python and library versions, and the code's git commit (one text field each)"),
    "mean_return": ("floats", "mean evaluation return per agent"),
    "std_return": ("floats", "standard deviation of the evaluation return per agent"),
    "evaluations": ("evals", "the learning curve: one {steps, return, welfare, equality, cooperation, trust} "
                             "per evaluation point inside the training run"),
    "learning_curve": ("curve", "the training curve: one {steps, return} (env-steps, mean return of the "
                                "training episodes) per point"),
    "trajectory": ("floats", "mean trust per evaluation step (null if not recorded)"),
    "scenarios": ("texts", "ids of the generalisation scenarios the final policy was scored on"),
    "scenario_scores": ("scores", "one {scenario, kind, layout, seed, focal_return, normalised, welfare, equality, "
                                  "cooperation, background_cooperation, final_trust, held_out} per scenario"),
}
COLUMNS = (
    ("config_hash", "sc:Text", "sha256 of the canonical JSON of the run config; the record's key"),
    ("policy", "sc:Text", "policy name in the coopgym registry (e.g. ippo, constant/50, oracle/equilibrium)"),
    ("env", "sc:Text", "environment id (e.g. SLCD-v0)"),
    ("reward", "sc:Text", "reward layer: private, integrated, cooperative or m=<mutuality in [0, 2]>"),
    ("seed", "sc:Integer", "seed of the run"),
    ("steps", "sc:Integer", "training budget in environment steps (0: the policy does not train)"),
    ("eval_episodes", "sc:Integer", "evaluation episodes"),
    ("options", None, NESTED["options"][1]),
    ("eval_at", "sc:Integer", NESTED["eval_at"][1]),
    ("status", "sc:Text", "ok or failed"),
    ("error", "sc:Text", "error summary of a failed run (null if ok)"),
    ("started_at", "sc:DateTime", "start time (UTC, milliseconds)"),
    ("finished_at", "sc:DateTime", "end time (UTC, milliseconds)"),
    ("train_seconds", "sc:Float", "training wall time in seconds (learning-curve evaluations excluded)"),
    ("eval_seconds", "sc:Float", "evaluation wall time in seconds (learning-curve evaluations included)"),
    ("versions", None, NESTED["versions"][1]),
    ("n_agents", "sc:Integer", "number of agents (seats)"),
    ("mean_return", "sc:Float", NESTED["mean_return"][1]),
    ("std_return", "sc:Float", NESTED["std_return"][1]),
    *((m, "sc:Float", desc) for m, desc in METRICS.items()),
    ("evaluations", None, NESTED["evaluations"][1]),
    ("learning_curve", None, NESTED["learning_curve"][1]),
    ("mechanism", "sc:Text", "mechanism class of the environment (TR-1 .. TR-4)"),
    ("trajectory", "sc:Float", NESTED["trajectory"][1]),
    ("scenarios", "sc:Text", NESTED["scenarios"][1]),
    ("scenario_scores", None, NESTED["scenario_scores"][1]),
)
_CROISSANT = {str: "sc:Text", int: "sc:Integer", float: "sc:Float", bool: "sc:Boolean"}
_INT = {c for c, t, _ in COLUMNS if t == "sc:Integer" and c not in NESTED}
_FLOAT = {c for c, t, _ in COLUMNS if t == "sc:Float" and c not in NESTED} | set(LEGACY_FIELDS)
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


def _finite(value: Any) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _utc(text: str | None) -> _dt.datetime | None:
    return None if text is None else _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def record_row(record: RunRecord) -> dict[str, Any]:
    """A record as one corpus row of native values (lists, dicts, UTC datetimes; non-finite floats None)."""
    data = record.to_dict()
    data.update({m: record.metrics.get(m) for m in METRICS})
    row = {col: data[col] for col, _, _ in COLUMNS}
    for col in _FLOAT & row.keys():
        row[col] = _finite(row[col])
    for col in _TIME:
        row[col] = _utc(row[col])
    row["options"] = [{"name": k, "value": json.dumps(v, sort_keys=True, allow_nan=False)}
                      for k, v in sorted(data["options"].items())]
    for col in ("mean_return", "std_return", "trajectory"):
        row[col] = None if row[col] is None else [float(x) for x in row[col]]
    row["evaluations"] = [{"steps": int(p["steps"]), **{m: _finite(p.get(m)) for m in METRICS}}
                          for p in data["evaluations"]]
    row["learning_curve"] = [{"steps": int(k), "return": float(v)} for k, v in data["learning_curve"]]
    row["scenario_scores"] = [{k: (_finite(s[k]) if t is float else s[k]) for k, t in SCENARIO_FIELDS.items()}
                              for s in data["scenario_scores"]]
    return row


def jsonl_row(row: dict[str, Any]) -> dict[str, Any]:
    """A corpus row as JSON values: times as ISO-8601 text, the options as one JSON object."""
    out = dict(row, options={p["name"]: json.loads(p["value"]) for p in row["options"]})
    out.update({col: None if row[col] is None else _iso(row[col]) for col in _TIME})
    return out


def row_record(row: dict[str, Any]) -> RunRecord:
    """Inverse of :func:`record_row` and :func:`jsonl_row`; also reads rows whose nested fields are JSON
    text (corpus v1 and the first v2 exports) and bytes for text (as mlcroissant returns it)."""
    data = {}
    for col, value in row.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        if value is not None:
            if col in NESTED and isinstance(value, str):
                value = json.loads(value)
            if col in _TIME and not isinstance(value, str):  # a datetime: back to the records' text
                value = _iso(value)
            elif col in _INT:
                value = int(value)
            elif col in _FLOAT:
                value = _finite(float(value))
            elif col == "options":   # name/value pairs (Parquet), or an object (JSON Lines, older corpora)
                value = {p["name"]: json.loads(p["value"]) for p in value} if isinstance(value, list) else value
            elif col == "versions":
                value = {k: v for k, v in value.items() if v is not None}
            elif col == "learning_curve":
                value = [[p["steps"], p["return"]] if isinstance(p, dict) else p for p in value]
            elif col in NESTED:
                value = list(value)
        data[col] = value
    metrics = {m: data.pop(m) for m in METRICS if m in data}
    if metrics and data.get("status") == "ok":
        data["metrics"] = metrics
    for col, default in (("options", {}), ("eval_at", []), ("scenarios", []), ("scenario_scores", []),
                         ("versions", {}), ("mean_return", []),
                         ("std_return", []), ("evaluations", []), ("learning_curve", []), ("train_seconds", 0.0),
                         ("eval_seconds", 0.0)):
        if data.get(col) is None:
            data[col] = default
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


#: rows per Parquet row group
ROW_GROUP = 1024


def _arrow_schema(version_keys: list[str]):
    """The Parquet schema of a corpus whose records name ``version_keys`` in ``versions``."""
    import pyarrow as pa

    scalar = {"sc:Text": pa.string(), "sc:Integer": pa.int64(), "sc:Float": pa.float64(),
              "sc:DateTime": pa.timestamp("ms", tz="UTC")}
    nested = {"floats": pa.list_(pa.float64()), "ints": pa.list_(pa.int64()),
              "pairs": pa.list_(pa.struct([("name", pa.string()), ("value", pa.string())])),
              "struct": pa.struct([(k, pa.string()) for k in version_keys]),
              "evals": pa.list_(pa.struct([("steps", pa.int64())] + [(m, pa.float64()) for m in METRICS])),
              "curve": pa.list_(pa.struct([("steps", pa.int64()), ("return", pa.float64())])),
              "texts": pa.list_(pa.string()),
              "scores": pa.list_(pa.struct([(k, scalar[_CROISSANT[t]] if t is not bool else pa.bool_())
                                            for k, t in SCENARIO_FIELDS.items()]))}
    return pa.schema([(c, nested[NESTED[c][0]] if c in NESTED else scalar[t]) for c, t, _ in COLUMNS])


def _write_parquet(rows: list[dict], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    keys = sorted({k for row in rows for k in row["versions"]}) or ["python"]  # a struct needs one field
    # small row groups: a reader streams the file group by group, and an env/reward filter skips whole groups
    pq.write_table(pa.Table.from_pylist(rows, schema=_arrow_schema(keys)), path, row_group_size=ROW_GROUP)


def _fields(version_keys: list[str]) -> list[dict[str, Any]]:
    """The Croissant fields of the ``runs`` record set: lists are repeated fields, structs have subfields
    (read from the struct's column by a JSON path)."""
    def field(name, at, dtype=None, desc=None, repeated=False, sub=(), path=None):
        source = {"fileObject": {"@id": PARQUET}, "extract": {"column": at}}
        if path:
            source["transform"] = {"jsonPath": path}
        out = {"@type": "cr:Field", "@id": f"{RECORD_SET}/{at}" + (f"/{name}" if path else ""), "name": name}
        out.update({"description": desc} if desc else {})
        out.update({"dataType": dtype} if dtype else {})
        out.update({"repeated": True} if repeated else {})
        if sub:
            out["subField"] = [field(k, at, t, path=k) for k, t in sub]
        else:
            out["source"] = source
        return out

    shapes = {"pairs": [("name", "sc:Text"), ("value", "sc:Text")],
              "struct": [(k, "sc:Text") for k in version_keys],
              "evals": [("steps", "sc:Integer")] + [(m, "sc:Float") for m in METRICS],
              "curve": [("steps", "sc:Integer"), ("return", "sc:Float")],
              "scores": [(k, _CROISSANT[t]) for k, t in SCENARIO_FIELDS.items()]}
    out = []
    for col, dtype, desc in COLUMNS:
        kind = NESTED.get(col, (None,))[0]
        out.append(field(col, col, dtype, desc, repeated=kind not in (None, "struct"), sub=shapes.get(kind, ())))
    return out


def metadata(dir_: Path, *, name: str, description: str, url: str, creator: str,
             date_published: str, n_runs: int) -> dict[str, Any]:
    """Croissant 1.0 JSON-LD describing ``runs.parquet`` in ``dir_``."""
    import pyarrow.parquet as pq

    from .records import library_versions

    files = [{"@type": "cr:FileObject", "@id": PARQUET, "name": PARQUET, "contentUrl": PARQUET,
              "encodingFormat": "application/x-parquet", "sha256": _sha256(dir_ / PARQUET),
              "description": f"{n_runs} run records, Parquet"}]
    record_sets = [{"@type": "cr:RecordSet", "@id": RECORD_SET, "name": RECORD_SET,
                    "description": f"One record per run, read from {PARQUET}.",
                    "key": {"@id": f"{RECORD_SET}/config_hash"},
                    "field": _fields(pq.read_schema(dir_ / PARQUET).field("versions").type.names)}]
    return {"@context": _context(), "@type": "sc:Dataset", "name": name, "description": description,
            "conformsTo": CROISSANT_1_0, "license": LICENSE, "url": url, "citeAs": CITE,
            "creator": {"@type": "sc:Organization", "name": creator}, "datePublished": date_published,
            "version": library_versions().get("coopgym", "0.0.0"),
            "keywords": ["multi-agent reinforcement learning", "coopetition", "benchmark", "mixed-motive games"],
            "distribution": files, "recordSet": record_sets}


def completeness(records: list[RunRecord], planned: int | None) -> str:
    """How much of the plan a corpus holds, e.g. ``31,500 of 31,500 planned runs (31,498 ok, 2 failed)``."""
    ok = sum(r.status == "ok" for r in records)
    held = f"{len(records):,} of {planned:,} planned runs" if planned else f"{len(records):,} runs"
    partial = " (a partial build: the rest is still to run)" if planned and len(records) < planned else ""
    return f"{held} ({ok:,} ok, {len(records) - ok:,} failed){partial}"


def export_corpus(records: Iterable[RunRecord], out_dir: str | os.PathLike, *, name: str = "coopgym-runs",
                  description: str | None = None, url: str = PROJECT_URL, creator: str = "coopgym contributors",
                  date_published: str | None = None, include_failed: bool = True, planned: int | None = None,
                  jsonl: bool = False, validate: bool = True) -> Path:
    """Write runs.parquet and croissant.json into ``out_dir`` (and runs.jsonl if ``jsonl``; a runs.jsonl left
    from an earlier export is removed otherwise, since it would no longer match); returns the metadata path.
    ``planned``: the number of runs of the plan the records come from (a partial build says so)."""
    recs = [r for r in records if include_failed or r.status == "ok"]
    if not recs:
        raise CorpusError("nothing to export: the ledger holds no runs" + ("" if include_failed else " with status ok"))
    recs.sort(key=lambda r: (r.env, r.reward, r.policy, r.steps, r.seed, r.config_hash))
    rows = [record_row(r) for r in recs]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    date = date_published or _dt.date.today().isoformat()
    _dt.date.fromisoformat(date[:10])  # raises ValueError on a malformed date

    def write_jsonl(path: Path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(jsonl_row(row), sort_keys=False, allow_nan=False) + "\n")

    if jsonl:
        _write_atomic(out / JSONL, write_jsonl)
    elif (out / JSONL).exists():
        (out / JSONL).unlink()
    _write_atomic(out / PARQUET, lambda p: _write_parquet(rows, p))
    desc = description or ("Runs of coopgym policies on strategic-coopetition environments: config, status, "
                           "timings, library versions, per-agent returns, the run metrics (per-capita return, "
                           "material welfare, equality, cooperation, final trust) and learning curves.")
    desc = f"{desc} This release: {completeness(recs, planned)}."
    md = metadata(out, name=name, description=desc, url=url, creator=creator, date_published=date,
                  n_runs=len(rows))
    _write_atomic(out / METADATA, lambda p: p.write_text(json.dumps(md, indent=2), encoding="utf-8"))
    if validate:
        validate_corpus(out)
    return out / METADATA


STATUS_BEGIN, STATUS_END = "<!-- build-status:begin -->", "<!-- build-status:end -->"


def build_status(records: list[RunRecord], planned: int, plan: str) -> str:
    """The build status block of a corpus README: how much of the plan is in, and its run time."""
    seconds = sum(r.train_seconds + r.eval_seconds for r in records)
    policies = {r.policy for r in records}
    last = max((r.finished_at for r in records if r.finished_at), default="-")
    return (f"Build status (written by `coopgym corpus build`): {completeness(records, planned)} of `{plan}`; "
            f"{len(policies)} policies, {len({r.env for r in records})} environments; "
            f"{seconds / 3600:.1f} h of run time (the sum over runs of training and evaluation seconds; "
            f"the wall time divides it by the workers); last run finished {last}.")


def write_build_status(readme: Path, status: str) -> bool:
    """Replace the text between the build-status markers of ``readme``; False when it has no markers."""
    if not readme.is_file():
        return False
    text = readme.read_text(encoding="utf-8")
    if STATUS_BEGIN not in text or STATUS_END not in text:
        return False
    head, rest = text.split(STATUS_BEGIN, 1)
    _, tail = rest.split(STATUS_END, 1)
    readme.write_text(f"{head}{STATUS_BEGIN}\n{status}\n{STATUS_END}{tail}", encoding="utf-8")
    return True


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


def load_corpus(path: str | os.PathLike, *, envs: Iterable[str] | None = None,
                rewards: Iterable[str] | None = None, skip: Iterable[str] = ()) -> list[RunRecord]:
    """Records of a corpus, read from its Parquet file (fast; checks the file's sha256); ``envs`` and
    ``rewards`` read only those runs (a filter pushed down to the Parquet reader); ``skip`` leaves out
    some per-step columns (``trajectory``, ``learning_curve``: their records get the empty default)."""
    return list(iter_corpus(path, envs=envs, rewards=rewards, skip=skip))


def iter_corpus(path: str | os.PathLike, *, envs: Iterable[str] | None = None,
                rewards: Iterable[str] | None = None, skip: Iterable[str] = (),
                batch_rows: int = 2048) -> Iterator[RunRecord]:
    """:func:`load_corpus` one Parquet batch at a time (no read-ahead): whatever the corpus size, only one
    batch of rows is in memory, so a caller that keeps less than a record per run stays flat."""
    import pyarrow.dataset as pads

    meta = _metadata_path(path)
    md = json.loads(meta.read_text(encoding="utf-8"))
    problems = check_metadata(md, meta.parent)
    if problems:
        raise CorpusError(f"corpus {meta.parent} is damaged or incomplete: " + "; ".join(problems))
    dataset = pads.dataset(meta.parent / PARQUET, format="parquet")
    where = None
    for col, values in (("env", envs), ("reward", rewards)):
        if values:
            term = pads.field(col).isin(sorted(values))
            where = term if where is None else where & term
    names = [n for n in dataset.schema.names if n not in set(skip)]
    batches = dataset.to_batches(columns=names, filter=where, batch_size=batch_rows, batch_readahead=0,
                                 fragment_readahead=0, use_threads=False)
    for batch in batches:
        yield from (row_record(r) for r in batch.to_pylist())


def is_first_release(path: str | os.PathLike) -> bool:
    """Whether the corpus at ``path`` is a v1 release (its Parquet file has no metric columns)."""
    import pyarrow.parquet as pq

    return "welfare" not in pq.read_schema(_metadata_path(path).parent / PARQUET).names


def seed_ledger(ledger, path: str | os.PathLike, wanted: set[str]) -> int:
    """Put the finished runs of the released corpus at ``path`` that ``wanted`` (config hashes) lists into
    ``ledger`` (a :class:`~coopgym.runner.ledger.Ledger`), so a build resumes across sessions from the
    committed Parquet file alone (the ledger itself is not released). A v1 corpus seeds nothing: its
    records were made by other code (its oracles and metrics are not release 2's). Returns how many."""
    if not (_metadata_path(path).parent / PARQUET).exists() or is_first_release(path):
        return 0
    done = ledger.done()
    return sum(ledger.put(r) for r in load_corpus(path)
               if r.status == "ok" and r.config_hash in wanted and r.config_hash not in done)


def load_croissant(path: str | os.PathLike, record_set: str = RECORD_SET) -> list[RunRecord]:
    """Records of a corpus read through mlcroissant (the ``runs`` record set of the Parquet file)."""
    import mlcroissant as mlc

    ds = mlc.Dataset(jsonld=str(_metadata_path(path)))
    prefix = f"{record_set}/"
    return [row_record({k[len(prefix):]: _plain(v) for k, v in rec.items()}) for rec in ds.records(record_set=record_set)]


def _plain(value: Any) -> Any:
    """A value as mlcroissant returns it (bytes for text, subfields keyed by their @id, numpy arrays and
    scalars) as plain Python."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, dict):
        return {k.rsplit("/", 1)[-1]: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") and not hasattr(value, "tzinfo") else value
