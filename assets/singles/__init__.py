"""Single replies labelled desirable or undesirable by their votes, for KTO."""
