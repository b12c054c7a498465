"""The `forget_requests` asset: deletion requests from a file, recorded for every later snapshot.

Put `forget_requests.csv` beside the warehouse file, with a header and one request a line:

    kind,value,reason
    comment,t1_abc123,deleted by its author
    author,some_user,GDPR request

and materialize the asset (`upvote-dpo forget ...` records one request directly). Requests
already recorded are left as they were. The metadata says how many were new and which
models were already trained on the pairs they affect; the next `pair_snapshot` leaves
those pairs out.
"""

import csv
from pathlib import Path

import dagster as dg

from assets.audit.queries import FORGET_KINDS, forget
from assets.warehouse.resources import WAREHOUSE_WRITER_POOL, Warehouse
from training.errors import UserError

REQUESTS_FILE = "forget_requests.csv"


class ForgetRequestsFileError(UserError, ValueError):
    """The requests file has a line that is not a request; nothing was recorded."""


def read_forget_requests(path: Path) -> list[dict]:
    """The requests in `path` ({kind, value, reason}); every bad line is named, nothing half-read."""
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"kind", "value"} - set(reader.fieldnames or ())
        if missing:
            raise ForgetRequestsFileError(f"{path}: the header lacks {', '.join(sorted(missing))}")
        requests, errors = [], []
        for line, row in enumerate(reader, start=2):
            kind, value = (row.get("kind") or "").strip(), (row.get("value") or "").strip()
            if kind not in FORGET_KINDS or not value:
                errors.append(
                    f"line {line}: kind must be {' or '.join(FORGET_KINDS)} with a value, got {kind!r}, {value!r}"
                )
                continue
            requests.append({"kind": kind, "value": value, "reason": (row.get("reason") or "").strip() or None})
    if errors:
        raise ForgetRequestsFileError(f"{path}: " + "; ".join(errors))
    return requests


@dg.asset(pool=WAREHOUSE_WRITER_POOL, group_name="audit", code_version="1")
def forget_requests(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Comments and authors to leave out of every later snapshot, from `<warehouse>/forget_requests.csv`."""
    path = Path(warehouse.database).parent / REQUESTS_FILE
    if not path.is_file():
        context.log.info(f"no {path}: no new forget requests")
    try:
        requests = read_forget_requests(path) if path.is_file() else []
    except ForgetRequestsFileError as error:  # a Failure shows its message as the run's error
        raise dg.Failure(description=str(error)) from error
    with warehouse.connect() as con:
        answers = [forget(con, **request) for request in requests]
    models = {model["run_id"]: model for answer in answers for model in answer["models"] if model["pairs_seen"]}
    return dg.MaterializeResult(
        metadata={
            "requests_file": dg.MetadataValue.path(str(path)),
            "requests": dg.MetadataValue.int(len(answers)),
            "new_requests": dg.MetadataValue.int(sum(answer["new"] for answer in answers)),
            "affected_pairs": dg.MetadataValue.int(sum(answer["counts"]["pairs"] for answer in answers)),
            "models_trained_on_affected_pairs": dg.MetadataValue.int(len(models)),
            "affected_models": dg.MetadataValue.md(_models_table(models.values())),
        }
    )


def _models_table(models) -> str:
    rows = [f"| {m['run_id']} | {m['model_path']} | {m['status']} | {m['snapshot_id']} |" for m in models]
    if not rows:
        return "No trained model used the affected pairs."
    return "| run | model | status | snapshot |\n|---|---|---|---|\n" + "\n".join(rows)
