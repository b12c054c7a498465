"""Rebuild the bundled Stack Exchange sample from the shared dump (run by hand; the output is
committed): the first 30 questions of Quantum Computing Stack Exchange that have two or more
answers with unequal scores, with all their answers, every vote on those posts and every user
who wrote one. The lines are copied byte for byte, so the sample is a dump in the official
format (BOM, declaration, one `<row/>` per line) that the ingest reads as it reads the site.

    .venv/bin/python data/stackexchange/build_sample.py ../shared/data/stackexchange/quantumcomputing.stackexchange.com
"""

from __future__ import annotations

import io
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import zstandard

QUESTIONS = 30
SITE = "quantumcomputing.stackexchange.com"
SITE_NAME = "Quantum Computing Stack Exchange"
LICENSE_CHANGE = "2018-05-02"  # Stack Exchange's move from CC BY-SA 3.0 to 4.0
OUT = Path(__file__).resolve().parent / SITE


def lines(path: Path) -> list[bytes]:
    with path.open("rb") as fh:
        text = zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True)
        return io.BufferedReader(text).read().split(b"\n")


def rows(file_lines: list[bytes]) -> list[tuple[bytes, dict[str, str]]]:
    return [(line, ET.fromstring(line).attrib) for line in file_lines if line.strip().startswith(b"<row")]


def write(name: str, file_lines: list[bytes], keep: list[bytes]) -> None:
    # BOM + declaration, root open tag, the rows, root close tag (no newline after it)
    (OUT / f"{name}.xml").write_bytes(b"\n".join([*file_lines[:2], *keep, file_lines[-1]]))


def main(site: Path) -> None:
    OUT.mkdir(exist_ok=True)
    posts_lines = lines(site / "Posts.xml.zst")
    posts = rows(posts_lines)
    answers: dict[str, list[dict]] = {}
    for _, row in posts:
        if row["PostTypeId"] == "2":
            answers.setdefault(row["ParentId"], []).append(row)
    questions = [
        row["Id"]
        for _, row in posts
        if row["PostTypeId"] == "1" and len({a["Score"] for a in answers.get(row["Id"], [])}) >= 2
    ][:QUESTIONS]
    kept_posts = {*questions, *(a["Id"] for q in questions for a in answers[q])}
    post_rows = [(line, row) for line, row in posts if row["Id"] in kept_posts]
    write("Posts", posts_lines, [line for line, _ in post_rows])
    owners = {row.get("OwnerUserId") for _, row in post_rows}
    users_lines = lines(site / "Users.xml.zst")
    write("Users", users_lines, [line for line, row in rows(users_lines) if row["Id"] in owners])
    votes_lines = lines(site / "Votes.xml.zst")
    write("Votes", votes_lines, [line for line, row in rows(votes_lines) if row["PostId"] in kept_posts])
    names = {row["Id"]: row.get("DisplayName") for _, row in rows(users_lines)}
    write_attribution([row for _, row in post_rows], names)


def write_attribution(posts: list[dict[str, str]], names: dict[str, str]) -> None:
    """ATTRIBUTION.md: each post with its link, author and licence, as CC BY-SA asks."""
    lines = [
        f"# Attribution: {SITE_NAME}",
        "",
        f"Every question and answer in this folder, from the {SITE} data dump of 2018-09-01. "
        "Content posted before 2018-05-02 is licensed CC BY-SA 3.0, later content CC BY-SA 4.0; "
        "this sample, an adaptation, is shared under CC BY-SA 4.0.",
        "",
        "| post | author | licence |",
        "|---|---|---|",
    ]
    for row in posts:
        kind = "q" if row["PostTypeId"] == "1" else "a"
        owner = row.get("OwnerUserId")
        author = (
            f"[{names.get(owner, owner)}](https://{SITE}/users/{owner})" if owner else row.get("OwnerDisplayName", "")
        )
        licence = "CC BY-SA 3.0" if row["CreationDate"] < LICENSE_CHANGE else "CC BY-SA 4.0"
        lines.append(f"| https://{SITE}/{kind}/{row['Id']} | {author} | {licence} |")
    (OUT / "ATTRIBUTION.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
