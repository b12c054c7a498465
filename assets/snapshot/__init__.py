"""Snapshots: a pair set frozen as Parquet and a Hugging Face dataset, named by its content."""
