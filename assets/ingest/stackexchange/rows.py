"""Stack Exchange dump lines to typed rows: which attribute goes to which column, as what type.

Each dump file is one XML document with one `<row .../>` per line (every official dump, from
2009 on, is written so), which is what makes a line-by-line parse streaming and lets a
malformed row be kept with its line number. A line is parsed as XML on its own, so
entities (`&lt;p&gt;`, `&amp;`) and escaped newlines (`&#xA;`) are decoded by the XML parser;
the document's other lines (the `<?xml ...?>` declaration, the root's open and close tags,
blank lines) are structure, neither rows nor rejects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from xml.etree import ElementTree

import pyarrow as pa

from assets.ingest.stackexchange.files import MAX_LINE_BYTES


def _int(text: str) -> int:
    return int(text)


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _day(text: str) -> date:
    return datetime.fromisoformat(text).date()


def _text(text: str) -> str:
    return text


# attribute type -> (parser, Arrow type)
TYPES = {
    "int": (_int, pa.int64()),
    "timestamp": (_timestamp, pa.timestamp("us")),
    "day": (_day, pa.date32()),
    "text": (_text, pa.string()),
}


@dataclass(frozen=True)
class Column:
    attribute: str  # as the dump names it
    name: str  # the warehouse column
    type: str  # a key of TYPES
    required: bool = False  # a row without it is rejected ("missing <attribute>")


@dataclass(frozen=True)
class SeTable:
    """A dump file's table: its name (closed set, see TABLES), kind in ingest_rejects, root tag."""

    name: str
    reject_kind: str
    root: str
    columns: tuple[Column, ...]


TABLES: dict[str, SeTable] = {
    "Posts": SeTable(
        "se_posts",
        "se_post",
        "posts",
        (
            Column("Id", "id", "int", True),
            Column("PostTypeId", "post_type_id", "int", True),
            Column("ParentId", "parent_id", "int"),
            Column("AcceptedAnswerId", "accepted_answer_id", "int"),
            Column("CreationDate", "created_at", "timestamp", True),
            Column("Score", "score", "int"),
            Column("ViewCount", "view_count", "int"),
            Column("Body", "body", "text"),
            Column("OwnerUserId", "owner_user_id", "int"),
            Column("OwnerDisplayName", "owner_display_name", "text"),
            Column("LastEditDate", "last_edit_date", "timestamp"),
            Column("Title", "title", "text"),
            Column("Tags", "tags", "text"),
            Column("AnswerCount", "answer_count", "int"),
            Column("CommentCount", "comment_count", "int"),
            Column("ClosedDate", "closed_date", "timestamp"),
            Column("CommunityOwnedDate", "community_owned_date", "timestamp"),
            Column("ContentLicense", "content_license", "text"),
        ),
    ),
    "Votes": SeTable(
        "se_votes",
        "se_vote",
        "votes",
        (
            Column("Id", "id", "int", True),
            Column("PostId", "post_id", "int", True),
            Column("VoteTypeId", "vote_type_id", "int", True),
            Column("UserId", "user_id", "int"),
            Column("CreationDate", "created_on", "day", True),
            Column("BountyAmount", "bounty_amount", "int"),
        ),
    ),
    "Comments": SeTable(
        "se_comments",
        "se_comment",
        "comments",
        (
            Column("Id", "id", "int", True),
            Column("PostId", "post_id", "int", True),
            Column("Score", "score", "int"),
            Column("Text", "text", "text"),
            Column("CreationDate", "created_at", "timestamp"),
            Column("UserId", "user_id", "int"),
            Column("UserDisplayName", "user_display_name", "text"),
            Column("ContentLicense", "content_license", "text"),
        ),
    ),
    "Users": SeTable(
        "se_users",
        "se_user",
        "users",
        (
            Column("Id", "id", "int", True),
            Column("DisplayName", "display_name", "text"),
            Column("Reputation", "reputation", "int"),
            Column("CreationDate", "created_at", "timestamp"),
            Column("AccountId", "account_id", "int"),
        ),
    ),
}

# Every reason a line can be rejected for; "<attribute>" is filled in.
REJECT_REASONS = (
    "line too long",
    "invalid utf-8",
    "invalid xml",
    "not a row",  # well-formed XML, but not a <row/> (or text outside any element)
    "missing <attribute>",
    "wrong type: <attribute>",
)


def is_structure(line: bytes, table: SeTable) -> bool:
    """The document's own lines: the XML declaration, the root's tags, blank lines."""
    stripped = line.strip()
    return (
        not stripped
        or stripped.startswith(b"<?xml")
        or stripped in (f"<{table.root}>".encode(), f"</{table.root}>".encode())
    )


def parse_row(line: bytes, table: SeTable) -> tuple[list | None, str | None]:
    """(values in the order of table.columns, None) for a good row, else (None, reason)."""
    if len(line) > MAX_LINE_BYTES:
        return None, "line too long"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None, "invalid utf-8"
    try:
        element = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None, "invalid xml"
    if element.tag != "row" or len(element):
        return None, "not a row"
    attributes = element.attrib
    values = []
    for column in table.columns:
        raw = attributes.get(column.attribute)
        if raw is None:
            if column.required:
                return None, f"missing {column.attribute}"
            values.append(None)
            continue
        try:
            values.append(TYPES[column.type][0](raw))
        except ValueError:
            return None, f"wrong type: {column.attribute}"
    return values, None


def arrow_schema(table: SeTable) -> pa.Schema:
    return pa.schema([(column.name, TYPES[column.type][1]) for column in table.columns])
