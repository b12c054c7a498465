"""A Stack Exchange site dump into the warehouse: every form it comes in (plain, zstd, the
site's .7z), the XML details (BOM, CR LF, entities, `&#xA;`), rejects and re-ingest."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import py7zr
import pytest
import zstandard

from assets.ingest.stackexchange.dumps import ingest_site
from assets.ingest.stackexchange.files import DumpNotFound, find_dump
from tests.conftest import SAMPLE_STACKEXCHANGE

SITE = "quantumcomputing.stackexchange.com"


def xml_bytes(path: Path) -> bytes:
    with path.open("rb") as fh:
        if path.suffix == ".zst":
            return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True)).read()
        return fh.read()


def rows_in(path: Path) -> int:
    return sum(line.lstrip().startswith(b"<row") for line in xml_bytes(path).splitlines())


def table_digest(con, table: str) -> list[tuple]:
    return con.execute(f"SELECT * EXCLUDE (source, ingested_at) FROM {table} ORDER BY site, id").fetchall()


def test_every_row_of_every_file_lands_keyed_by_site_and_id(con, quantumcomputing_dump):
    report = ingest_site(con, quantumcomputing_dump)

    assert report.site == SITE
    tables = {"Posts": "se_posts", "Votes": "se_votes", "Users": "se_users", "Comments": "se_comments"}
    for name, file in report.files.items():
        expected = rows_in(next(quantumcomputing_dump.glob(f"{name}.xml*")))
        assert file.rows == file.inserted == expected > 0
        assert file.lines == file.structure + file.rows + file.rejected
        assert file.rejected == 0
        (stored,) = con.execute(f"SELECT count(*) FROM {tables[name]} WHERE site = ?", [SITE]).fetchone()
        assert stored == expected
    questions, answers = con.execute(
        "SELECT count(*) FILTER (post_type_id = 1), count(*) FILTER (post_type_id = 2) FROM se_posts"
    ).fetchone()
    assert questions > 0 and answers > questions
    # Entities and escaped newlines come out decoded: HTML bodies, multi-line.
    body = con.execute("SELECT body FROM se_posts WHERE body LIKE '%<p>%' LIMIT 1").fetchone()[0]
    assert body.startswith("<p>") and "&lt;" not in body and "\n" in body


def test_a_re_ingest_updates_in_place_and_duplicates_nothing(con):
    first = ingest_site(con, SAMPLE_STACKEXCHANGE)
    before = table_digest(con, "se_posts")
    again = ingest_site(con, SAMPLE_STACKEXCHANGE)

    assert again.files["Posts"].inserted == 0
    assert again.files["Posts"].updated == first.files["Posts"].rows
    assert table_digest(con, "se_posts") == before


def test_plain_crlf_zstd_and_7z_forms_store_the_same_rows(con, tmp_path):
    ingest_site(con, SAMPLE_STACKEXCHANGE)
    expected = {table: table_digest(con, table) for table in ("se_posts", "se_votes", "se_users")}

    crlf = tmp_path / "crlf" / SITE
    zstd = tmp_path / "zstd" / SITE
    for folder in (crlf, zstd):
        folder.mkdir(parents=True)
    for path in SAMPLE_STACKEXCHANGE.glob("*.xml"):
        data = path.read_bytes()
        (crlf / path.name).write_bytes(data.replace(b"\n", b"\r\n"))
        (zstd / f"{path.name}.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    archive = tmp_path / f"{SITE}.7z"
    with py7zr.SevenZipFile(archive, "w") as out:
        for path in SAMPLE_STACKEXCHANGE.glob("*.xml"):
            out.write(path, path.name)

    for dump in (crlf, zstd, archive):
        con.execute("DELETE FROM se_posts; DELETE FROM se_votes; DELETE FROM se_users")
        report = ingest_site(con, dump)
        assert report.site == SITE, dump
        assert {table: table_digest(con, table) for table in expected} == expected, dump


BAD_POSTS = (
    '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<posts>\r\n'
    '  <row Id="1" PostTypeId="1" CreationDate="2018-03-12T18:00:00.000" Score="3" Title="Q &amp; A"'
    ' Body="&lt;p&gt;one&lt;/p&gt;&#xA;&lt;p&gt;two&lt;/p&gt;" />\r\n'
    '  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2018-03-13T18:00:00.000" Score="x" />\r\n'
    '  <row Id="3" PostTypeId="2" ParentId="1" Score="1" />\r\n'
    '  <row Id="4" PostTypeId="2" ParentId="1" CreationDate="2018-03-13T18:00:00.000" Score="1" \r\n'
    "  <comment>not a row</comment>\r\n"
    '  <row Id="5" PostTypeId="2" ParentId="1" CreationDate="2018-03-14T18:00:00.000" Score="2" Body="ok" />\r\n'
    "</posts>"
).encode() + b'\r\n  <row Id="6" Body="\xff" />'


def test_malformed_rows_are_kept_in_ingest_rejects_with_file_line_and_reason(con, tmp_path):
    site = tmp_path / "tiny.stackexchange.com"
    site.mkdir()
    (site / "Posts.xml").write_bytes(BAD_POSTS)

    report = ingest_site(con, site)

    posts = report.files["Posts"]
    assert posts.rows == 2
    assert posts.rejects == {
        "wrong type: Score": 1,
        "missing CreationDate": 1,
        "invalid xml": 1,
        "not a row": 1,
        "invalid utf-8": 1,
    }
    assert posts.lines == posts.structure + posts.rows + posts.rejected
    rejects = con.execute("SELECT source, line, kind, reason FROM ingest_rejects ORDER BY line").fetchall()
    source = "stackexchange:tiny.stackexchange.com/Posts.xml"
    assert rejects == [
        (source, 4, "se_post", "wrong type: Score"),
        (source, 5, "se_post", "missing CreationDate"),
        (source, 6, "se_post", "invalid xml"),
        (source, 7, "se_post", "not a row"),
        (source, 10, "se_post", "invalid utf-8"),
    ]
    title, body = con.execute("SELECT title, body FROM se_posts WHERE id = 1").fetchone()
    assert (title, body) == ("Q & A", "<p>one</p>\n<p>two</p>")

    # Fixed and ingested again: the rows are stored, the rejects gone.
    (site / "Posts.xml").write_bytes(BAD_POSTS.replace(b'Score="x"', b'Score="0"'))
    ingest_site(con, site)
    assert con.execute("SELECT count(*) FROM ingest_rejects WHERE reason LIKE 'wrong type%'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM ingest_rejects").fetchone() == (4,)
    assert con.execute("SELECT count(*) FROM se_posts").fetchone() == (3,)


def test_a_path_that_is_no_site_dump_says_so(tmp_path):
    with pytest.raises(DumpNotFound, match="no such"):
        find_dump(tmp_path / "missing")
    with pytest.raises(DumpNotFound, match="no Posts.xml"):
        find_dump(tmp_path)
    shutil.copy(SAMPLE_STACKEXCHANGE / "Votes.xml", tmp_path / "Votes.xml")
    with pytest.raises(DumpNotFound, match="no Posts.xml"):
        find_dump(tmp_path)
