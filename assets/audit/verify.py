"""`audit verify`: does a model folder, and the snapshot it trained on, still match the records?

The model: the weights' sha256 and every other file's (config, tokenizer, chat template) against
its manifest and the warehouse. The snapshot: its id recomputed from the row digests the ledger
recorded and from pairs.parquet (and singles.parquet) itself, so an edited text or split is caught; then dataset/
(what trainers read) and the ledger's own columns against pairs.parquet.

    verify(con, "data/warehouse/models/<dir>")
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets.audit.records import first_record, query_file, read_training_manifest
from training.config import differing_keys
from training.outputs import files_digest, model_files

WEIGHTS = "model.safetensors"


def snapshot_id_from_ledger(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[str | None, int, int]:
    """(the id recomputed from the pair ids and row digests `snapshot_pairs` holds for it, how
    many pairs it holds, how many of those have no digest); the id is None unless all have one."""
    # Imported here: assets.snapshot.freeze loads `datasets`, a second more for every command.
    from assets.snapshot.freeze import snapshot_id_for

    recorded = query_file(con, "select_snapshot_pair_digests", snapshot_id=snapshot_id).to_arrow_table()
    return snapshot_id_for(con.from_arrow(recorded)), recorded.num_rows, recorded["content_sha256"].null_count


def _check(name: str, ok: bool | None, expected=None, actual=None, detail: str = "") -> dict:
    return {"check": name, "ok": ok, "expected": expected, "actual": actual, "detail": detail}


def verify(con: duckdb.DuckDBPyConnection, model_dir: str | Path) -> dict:
    """Recompute the model files' hashes and the snapshot id, and compare them with the records
    (see the module docstring).
    {"model_dir", "run_id", "snapshot_id", "ok": bool (no check failed; skipped ones are None),
     "checks": [{check, ok, expected, actual, detail}]}
    """
    manifest = read_training_manifest(model_dir)
    model_dir = Path(model_dir).resolve()
    run_id, snapshot_id = manifest["run_id"], manifest["snapshot_id"]
    run = first_record(query_file(con, "select_training_run", run_id=run_id))
    files = model_files(model_dir)  # the weights among them: each file is read once
    checks = _weights_checks(files, manifest, run) + _model_file_checks(files, manifest, run)
    checks += _snapshot_checks(con, manifest, snapshot_id)
    checks += _seen_pairs_checks(con, manifest, run_id, snapshot_id)
    return {
        "model_dir": str(model_dir),
        "run_id": run_id,
        "snapshot_id": snapshot_id,
        "ok": all(check["ok"] is not False for check in checks),
        "checks": checks,
    }


def _weights_checks(files: dict[str, str], manifest: dict, run: dict | None) -> list[dict]:
    """The weights' sha256 against the manifest and the warehouse, and the run's snapshot."""
    run_id, snapshot_id = manifest["run_id"], manifest["snapshot_id"]
    actual = files.get(WEIGHTS)
    recorded = manifest["output"]["weights_sha256"]
    checks = [
        _check(
            "weights sha256 = manifest",
            actual is not None and actual == recorded,
            recorded,
            actual,
            "" if actual else f"{WEIGHTS} is missing",
        )
    ]
    if run is None:
        checks.append(_check("run recorded in warehouse", False, run_id, None, "not in training_runs"))
    else:
        checks.append(
            _check(
                "weights sha256 = warehouse",
                actual is not None and actual == run["model_sha256"],
                run["model_sha256"],
                actual,
            )
        )
        checks.append(
            _check(
                "snapshot id = warehouse",
                run["snapshot_id"] == snapshot_id,
                snapshot_id,
                run["snapshot_id"],
                "the manifest's snapshot against training_runs",
            )
        )
    return checks


def _snapshot_checks(con: duckdb.DuckDBPyConnection, manifest: dict, snapshot_id: str) -> list[dict]:
    """The snapshot id recomputed from the ledger's row digests, then the snapshot's files."""
    checks = []
    ledger_id, ledger_pairs, undigested = snapshot_id_from_ledger(con, snapshot_id)
    # A snapshot recorded before row digests has an id of its pair ids alone, which no id
    # recomputed from content can match: its content cannot be checked, which is not a mismatch.
    unchecked = (
        (
            f"skipped: recorded before content digests ({undigested} of {ledger_pairs} pairs have none); "
            "its id covers the pair ids alone, so its content cannot be checked"
        )
        if undigested
        else ""
    )
    if unchecked:
        checks.append(_check("snapshot id from snapshot_pairs", None, snapshot_id, None, unchecked))
    else:
        checks.append(
            _check(
                "snapshot id from snapshot_pairs",
                ledger_id == snapshot_id,
                snapshot_id,
                ledger_id,
                "" if ledger_pairs else "snapshot_pairs holds no pairs for it",
            )
        )

    snapshot = first_record(query_file(con, "select_snapshot", snapshot_id=snapshot_id)) or {}
    folders = [Path(p) for p in (manifest.get("snapshot_dir"), snapshot.get("path")) if p]
    parquet = next((folder / "pairs.parquet" for folder in folders if (folder / "pairs.parquet").is_file()), None)
    if parquet is None:
        checks.append(
            _check(
                "snapshot id from pairs.parquet",
                None,
                snapshot_id,
                None,
                "skipped: no pairs.parquet in " + (" or ".join(map(str, folders)) or "any known folder"),
            )
        )
    else:
        checks += _snapshot_file_checks(con, snapshot_id, parquet, unchecked)

    return checks


def _seen_pairs_checks(con: duckdb.DuckDBPyConnection, manifest: dict, run_id: str, snapshot_id: str) -> list[dict]:
    """The pairs the run saw: the manifest's against the warehouse's, all train pairs."""
    checks = []
    seen = query_file(con, "select_training_run_pair_ids", run_id=run_id, snapshot_id=snapshot_id).to_arrow_table()
    manifest_ids = {pair["pair_id"] for pair in manifest.get("pairs", [])}
    warehouse_ids = set(seen["pair_id"].to_pylist())
    differ = len(manifest_ids ^ warehouse_ids)
    checks.append(
        _check(
            "pairs seen: manifest = warehouse",
            differ == 0,
            len(manifest_ids),
            len(warehouse_ids),
            f"{differ} pair ids in only one of them" if differ else "",
        )
    )
    outside = sum(seen["outside_train_split"].to_pylist())
    checks.append(_check("pairs seen are train pairs of the snapshot", outside == 0, 0, outside))
    return checks


def _snapshot_file_checks(
    con: duckdb.DuckDBPyConnection, snapshot_id: str, parquet: Path, unchecked: str
) -> list[dict]:
    """pairs.parquet (read once) against the snapshot id, and dataset/ and the ledger's own
    columns against pairs.parquet. `unchecked`: why the id cannot be checked, if it cannot."""
    from assets.snapshot.freeze import content_digests, dataset_differences, rows_differing, snapshot_id_for
    from assets.snapshot.singles import single_digests

    frozen = con.read_parquet(str(parquet))
    if unchecked:
        checks = [_check("snapshot id from pairs.parquet", None, snapshot_id, None, unchecked)]
    else:
        digests = content_digests(frozen)
        if (parquet.parent / "singles.parquet").is_file():  # the id covers the singles too
            digests = digests.union(single_digests(con.read_parquet(str(parquet.parent / "singles.parquet"))))
        file_id = snapshot_id_for(digests)
        checks = [_check("snapshot id from pairs.parquet", file_id == snapshot_id, snapshot_id, file_id, str(parquet))]
    try:
        differ = dataset_differences(con, parquet.parent, frozen)
        detail = ", ".join(
            f"{split}: {n} {'row differs' if n == 1 else 'rows differ'}" for split, n in differ.items() if n
        )
    except (OSError, ValueError, KeyError) as err:  # a missing or unreadable dataset/
        differ, detail = {"unreadable": 1}, f"dataset/ unreadable: {err}"
    checks.append(
        _check("snapshot dataset/ = pairs.parquet", not any(differ.values()), 0, sum(differ.values()), detail)
    )
    recorded = query_file(con, "select_snapshot_ledger", snapshot_id=snapshot_id)
    shared = [c for c in recorded.columns if c in frozen.columns]
    off = rows_differing(recorded.select(*shared), frozen.select(*shared))
    checks.append(
        _check(
            "snapshot_pairs = pairs.parquet",
            off == 0,
            0,
            off,
            f"{off} rows differ in {', '.join(shared)}" if off else "",
        )
    )
    return checks


def _model_file_checks(actual: dict[str, str], manifest: dict, run: dict | None) -> list[dict]:
    """Every model file's sha256 (`actual`, from `model_files`) against the manifest, and their
    digest against the warehouse."""
    recorded = manifest["output"].get("files_sha256")
    if recorded is None:
        return [
            _check(
                "model files sha256 = manifest",
                None,
                detail="skipped: the run predates hashes of every model file (its weights are checked above)",
            )
        ]
    differ = differing_keys(recorded, actual)
    checks = [
        _check(
            "model files sha256 = manifest",
            not differ,
            len(recorded),
            len(actual),
            f"changed, missing or added: {', '.join(differ)}" if differ else "",
        )
    ]
    if run is not None:
        digest = files_digest(actual)
        checks.append(
            _check(
                "model files sha256 = warehouse", digest == run["model_files_sha256"], run["model_files_sha256"], digest
            )
        )
    return checks
