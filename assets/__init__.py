"""Dagster assets, one folder per stage, each holding its assets (`assets.py`), the plain
functions they call and its SQL (`sql/`):

- `ingest/`: raw posts and comments, one subfolder per source (`reddit/`: dumps and live).
- `pairs/`: the pair rules, text decoding and deduplication.
- `snapshot/`: immutable, content-addressed pair sets.
- `model/`: launching the trainer and recording its run.
- `audit/`: lineage questions, verification and forget requests.
- `warehouse/`: the DuckDB file, its schema and the `Warehouse` resource.

`automation.py`, `config.py`, `frames.py` (query results as polars frames, and as Markdown)
and `plots.py` are shared by the stages.
"""
