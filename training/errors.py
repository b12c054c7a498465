"""The one base exception for what a user can fix.

`UserError` marks a failure whose cause and cure lie with the user: a bad path or flag value,
an unknown partition, snapshot or id, missing credentials, a warehouse another process holds.
`upvote-dpo` prints such an error as one line, `error: <message>`, and exits 1; any other
exception is a bug and shows its full traceback.

It lives in `training/`, the bottom layer, so that `assets/` and `pipelines/` can both
import it without breaking the import direction (pipelines -> assets -> training). Each
layer keeps its own subclasses (`AuditError`, `NoSnapshotError`, ...) so callers can still
catch the narrow kind.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can fix; its message says what to do, in one line."""


class ConfigError(UserError, ValueError):
    """A setting (flag or Dagster config field) with a value it cannot take. A `ValueError` too,
    so callers that caught the plain `ValueError` the configs raised before still catch it."""


# Set by a launcher (the `dpo_model` asset) for the trainer it starts: the file where the
# trainer writes the message of a UserError, which the launcher raises as its own, so that
# the user reads one line, not the trainer's and then the launcher's "run failed".
ERROR_FILE_ENV = "UPVOTE_DPO_ERROR_FILE"
