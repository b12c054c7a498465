"""How a trained model compares with its base: preference accuracy with its uncertainty, drift
from the base (KL), fluency on other text (NLL) and replies side by side.

`stats` holds the numpy statistics, `scores` the batched, memory-bounded model passes and
`generate` the seeded replies to a prompt panel. Nothing here imports Dagster or DuckDB.
"""
