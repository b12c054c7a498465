"""Partitions of the ingest assets.

They sit in `assets/` rather than beside the definitions because the asset decorators
need them and `assets` must not import `pipelines`.
"""

import dagster as dg

# One partition per dump file; the incoming-folder sensor adds them.
dump_file_partitions = dg.DynamicPartitionsDefinition(name="dump_files")

# Live ingestion fetches one UTC day per partition.
live_day_partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")

# DuckDB allows one writer per file: every asset that writes the warehouse runs in this
# pool, whose limit (1) is set in dagster.yaml, so parallel backfills queue instead of
# failing on the file lock.
WAREHOUSE_WRITER_POOL = "duckdb_warehouse"

# Rebuild pairs whenever any ingest partition lands. (Not `eager()`: it waits for
# missing upstream partitions, and most days of `reddit_live` never exist.)
AFTER_NEW_RAW_DATA = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after new raw data")

# Snapshot and train after the upstream asset updated and its blocking checks passed.
AFTER_CHECKED_UPSTREAM = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("after checked upstream")
