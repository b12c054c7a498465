"""Dagster assets, one module per stage; the plain logic they call lives in `assets.core`."""
