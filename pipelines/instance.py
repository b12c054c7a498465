"""The Dagster instance of a warehouse: `dagster_home/` beside its DuckDB file, so that the UI
of one warehouse shows its runs only. Each command of `upvote-dpo` records its runs there, and
`make ui` opens the default warehouse's. `DAGSTER_HOME` set in the environment overrides it.

A home is created on first use with a copy of the project's `dagster_home/dagster.yaml` (the
template: telemetry off, the writer pool's limit), which is never overwritten afterwards.

    python -m pipelines.instance [DB]      create the home of DB (default: the default
                                           warehouse) and print its path

No dagster import here: the command line calls it before it loads Dagster.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from assets.warehouse.connect import PROJECT_ROOT, WarehouseUnusable, default_db_path

TEMPLATE = PROJECT_ROOT / "dagster_home" / "dagster.yaml"


def dagster_home(db_path: str | Path) -> Path:
    """`$DAGSTER_HOME` if set, else `<folder of db_path>/dagster_home/`, created with the
    template's dagster.yaml."""
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
        _create(home, f"cannot create DAGSTER_HOME={home}")
        return home
    home = Path(db_path).resolve().parent / "dagster_home"
    _create(home, f"cannot create the Dagster home {home}")
    config = home / "dagster.yaml"
    if not config.exists():
        # Copied aside then renamed: two commands starting at once never read half a file.
        partial = home / f".dagster.yaml.{os.getpid()}"
        shutil.copyfile(TEMPLATE, partial)
        partial.replace(config)
    return home


def _create(home: Path, failure: str) -> None:
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WarehouseUnusable(f"{failure}: {error.strerror or error}") from None


if __name__ == "__main__":
    print(dagster_home(sys.argv[1] if len(sys.argv) > 1 else default_db_path()))
