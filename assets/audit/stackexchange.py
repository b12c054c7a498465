"""How the audit names Stack Exchange subjects: a site, a question, an answer or a user, each
given as `<site>:<id>` or as the link the site shows (`https://<site>/q/<id>`,
`https://<site>/a/<id>`, `https://<site>/questions/<id>/<slug>`, `https://<site>/users/<id>/<name>`).
Pairs store answers as `<site>:<id>` (chosen_id, rejected_id) and questions the same way
(post_id), so a subject in that form is what the queries match.
"""

from __future__ import annotations

import re

import duckdb

from assets.audit.records import AuditError
from assets.warehouse.connect import sql_folder

sql = sql_folder(__file__)

STACKEXCHANGE_KINDS = ("site", "question", "answer", "stackexchange_user")
_LINK = re.compile(
    r"(?:https?://)?(?P<site>[^/:\s]+)(?:/(?P<path>[a-z]+)/(?P<id>-?\d+)(?:/.*)?|:(?:users/)?(?P<bare>-?\d+))/?"
)
_PATHS = {"question": ("q", "questions"), "answer": ("a", "answers"), "stackexchange_user": ("u", "users")}


def stackexchange_subject(kind: str, value: str) -> str:
    """`value` as the queries match it: a site's host name, or `<site>:<id>`."""
    value = value.strip()
    if kind == "site":
        return re.sub(r"^https?://", "", value).strip("/").lower()
    match = _LINK.fullmatch(value)
    if match is None or (match["path"] is not None and match["path"] not in _PATHS[kind]):
        raise AuditError(f"no Stack Exchange {kind} {value!r} in the warehouse: name it as <site>:<id> or its link")
    return f"{match['site'].lower()}:{match['id'] or match['bare']}"


def is_stackexchange_user(value: str) -> bool:
    """Whether an author given to `forget` names a Stack Exchange user: Reddit names hold
    neither ':' nor '/'."""
    return ":" in value or "/" in value


def stackexchange_display_name(con: duckdb.DuckDBPyConnection, value: str) -> str:
    """The display name of a Stack Exchange user given as `<site>:<id>` or a profile link: what
    pairs name their authors by, and so what a forget request matches."""
    user = stackexchange_subject("stackexchange_user", value)
    site, user_id = user.split(":")
    rows = con.execute(sql("select_stackexchange_user"), {"site": site, "id": int(user_id)}).fetchall()
    if not rows or rows[0][0] is None:
        raise AuditError(f"no Stack Exchange user {user} in the warehouse (se_users)")
    return rows[0][0]
