"""Partitions of the ingest assets.

They sit in `assets/` rather than beside the definitions because the asset decorators
need them and `assets` must not import `pipelines`.
"""

import dagster as dg

# One partition per dump file; the incoming-folder sensor adds them.
dump_file_partitions = dg.DynamicPartitionsDefinition(name="dump_files")

# Live ingestion fetches one UTC day per partition.
live_day_partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")

# One partition per Stack Exchange site; the incoming-folder sensor adds them.
stackexchange_site_partitions = dg.DynamicPartitionsDefinition(name="stackexchange_sites")
