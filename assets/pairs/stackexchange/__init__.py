"""Preference pairs from Stack Exchange answers (SHP-2 rules adapted)."""
