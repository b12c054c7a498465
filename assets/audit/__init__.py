"""Lineage questions (which pairs trained a model, which models used a comment), verify, forget."""
