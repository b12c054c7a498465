"""The audit and forget for Stack Exchange: sites, questions, answers and users (by id, link
or display name), on a snapshot of the real quantumcomputing pairs."""

from __future__ import annotations

import pytest

from assets.audit.queries import audit_usage, forget
from assets.audit.records import AuditError
from assets.ingest.stackexchange.dumps import ingest_site
from assets.pairs.stackexchange.build import build_stackexchange_pairs
from assets.snapshot.freeze import create_snapshot


@pytest.fixture
def frozen(con, quantumcomputing_dump, tmp_path):
    ingest_site(con, quantumcomputing_dump)
    build_stackexchange_pairs(con)
    snapshot = create_snapshot(con, tmp_path / "snapshots")
    return con, snapshot, quantumcomputing_dump.name


def test_a_site_question_and_answer_are_audited_by_id_or_link(frozen):
    con, snapshot, site = frozen
    post_id, chosen_id = con.execute(
        "SELECT post_id, chosen_id FROM preference_pairs ORDER BY pair_id LIMIT 1"
    ).fetchone()

    answer = audit_usage(con, "site", f"https://{site}/")
    assert answer["counts"]["pairs"] == snapshot.counts["total"]
    assert [s["snapshot_id"] for s in answer["snapshots"]] == [snapshot.snapshot_id]

    question = post_id.split(":")[1]
    by_link = audit_usage(con, "question", f"https://{site}/questions/{question}/some-title")
    (under_question,) = con.execute("SELECT count(*) FROM preference_pairs WHERE post_id = ?", [post_id]).fetchone()
    assert by_link["value"] == post_id and by_link["counts"]["pairs"] == under_question

    answer_id = chosen_id.split(":")[1]
    (with_answer,) = con.execute(
        "SELECT count(*) FROM preference_pairs WHERE ? IN (chosen_id, rejected_id)", [chosen_id]
    ).fetchone()
    assert audit_usage(con, "answer", f"https://{site}/a/{answer_id}")["counts"]["pairs"] == with_answer
    assert audit_usage(con, "answer", chosen_id)["counts"]["pairs"] == with_answer

    with pytest.raises(AuditError, match="no question"):
        audit_usage(con, "question", f"{site}:999999999")
    with pytest.raises(AuditError, match="no Stack Exchange answer .* <site>:<id> or its link"):
        audit_usage(con, "answer", f"https://{site}/users/5")


def test_a_user_by_id_or_name_and_forget_by_profile_link(frozen, tmp_path):
    con, snapshot, site = frozen
    user_id, name = con.execute(
        "SELECT chosen_author_id, chosen_author FROM stackexchange_pairs GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    (authored,) = con.execute(
        "SELECT count(*) FROM stackexchange_pairs WHERE ? IN (chosen_author_id, rejected_author_id, post_author_id)",
        [user_id],
    ).fetchone()
    by_id = audit_usage(con, "stackexchange_user", f"https://{site}/users/{user_id}/{name}")
    assert by_id["counts"]["pairs"] == authored > 0
    assert audit_usage(con, "author", name)["counts"]["pairs"] >= authored  # by name: homonyms too

    request = forget(con, "author", f"{site}:users/{user_id}", reason="asked")
    assert request["new"] and request["value"] == name.lower()
    assert request["counts"]["pairs"] == request["counts"]["forgotten_pairs"] >= authored
    later = create_snapshot(con, tmp_path / "snapshots")
    assert later.counts["total"] == snapshot.counts["total"] - request["counts"]["pairs"]
    left = con.execute(
        "SELECT count(*) FROM snapshot_pairs WHERE snapshot_id = ? AND ? IN (lower(chosen_author), lower(rejected_author), lower(post_author))",
        [later.snapshot_id, name.lower()],
    ).fetchone()
    assert left == (0,)

    with pytest.raises(AuditError, match="no Stack Exchange user"):
        forget(con, "author", f"{site}:999999999")
