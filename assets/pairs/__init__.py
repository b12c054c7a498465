"""Preference pairs: the rules (SQL), Reddit text decoding and deduplication."""
