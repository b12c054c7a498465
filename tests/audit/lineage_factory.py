"""A synthetic warehouse with lineage: raw posts and comments, several snapshots, several runs.

Built in SQL, so a 1M-pair warehouse takes seconds; the tests use a small one. Each post has
`comments_per_post` top-level comments, comment k scored 2 * 2**k and written k minutes
after the post, so every later comment beats every earlier one with a ratio >= 2: a post
gives C(k, 2) pairs; post authors are commenters too. Snapshot s (1..S) holds the pairs of
the first posts (more for each later snapshot) less ~5% (a rule change), so snapshots
overlap like real ones. Run r trains on snapshot r % S + 1 and sees ~90% of its train pairs
(a `max_steps` cut). Ids, hashes and the snapshot ids are computed the way the project
computes them, so `verify` passes on an untouched warehouse. With `write_files`, each
snapshot gets its folder (manifest.json, pairs.parquet, dataset/) and each run a model
folder (model.safetensors, training_manifest.json in the trainer's format).

`python -m benchmarks.audit` builds a 1M-pair warehouse with it and times the audit queries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from assets.snapshot.freeze import content_digests, snapshot_id_for, sql, write_snapshot_dir
from training.outputs import files_digest

# The ledger insert of a warehouse from before pairs had a source (the migration tests build
# lineage in one); the project's own insert for any later one.
BEFORE_SOURCES_INSERT = Path(__file__).parents[1] / "warehouse" / "before_versions" / "insert_into_snapshot_pairs.sql"


def _snapshot_pairs_insert(pairs) -> str:
    return sql("insert_into_snapshot_pairs") if "source" in pairs.column_names else BEFORE_SOURCES_INSERT.read_text()


@dataclass(frozen=True)
class LineageSpec:
    pairs: int = 600  # rows in snapshot_pairs over all snapshots (about)
    snapshots: int = 3
    runs: int = 5  # round-robin over the snapshots; the last one failed
    comments_per_post: int = 5  # 5 -> 10 pairs per post
    subreddits: int = 4
    comments_per_author: int = 7  # about; authors are spread over posts and subreddits
    dump_lines: int = 5_000  # lines per synthetic dump file


@dataclass
class LineageWarehouse:
    spec: LineageSpec
    snapshot_ids: list[str]  # oldest first
    runs: list[dict] = field(default_factory=list)  # run_id, snapshot_id, model_path, status


def model_bytes(run: int) -> bytes:
    """Stand-in weights for run `run` (a few bytes are enough to hash)."""
    return f"weights of run {run}\n".encode() * 64


def build(
    con: duckdb.DuckDBPyConnection,
    spec: LineageSpec = LineageSpec(),
    root: Path | None = None,
    write_files: bool = False,
) -> LineageWarehouse:
    """Fill an empty warehouse; folders go under `root` (snapshots/, models/)."""
    root = Path(root or ".").resolve()
    pairs_per_post = spec.comments_per_post * (spec.comments_per_post - 1) // 2
    weights = [s + 1 for s in range(spec.snapshots)]
    posts_per_snapshot = [max(1, round(spec.pairs * w / sum(weights) / pairs_per_post / 0.95)) for w in weights]
    n_posts = max(posts_per_snapshot)
    n_comments = n_posts * spec.comments_per_post
    params = {
        "posts": n_posts,
        "k": spec.comments_per_post,
        "subs": spec.subreddits,
        "authors": max(2, n_comments // spec.comments_per_author),
        "lines": spec.dump_lines,
    }
    # Post authors are commenters too (by another multiplier), so an author's pairs come from
    # their comments and from their posts, whose text is the prompt.
    con.execute(
        """
        INSERT INTO reddit_submissions (id, subreddit, author, title, selftext, score, created_utc,
            over_18, stickied, distinguished, retrieved_at, source, source_line, ingested_at)
        SELECT 'p' || p, 'sub' || (p % $subs), 'user' || ((p * 104729) % $authors), 'title ' || p,
               'text ' || p, 100, 1700000000 + p * 3600, false, false, NULL, 1700100000,
               'dump:RS_gen.ndjson', p + 1, 1700100000
        FROM range($posts) AS t(p)
        """,
        {"posts": n_posts, "subs": spec.subreddits, "authors": params["authors"]},
    )
    # Every 7th post came from a praw fetch (no dump line); author numbers are shuffled by a
    # multiplier so one author writes on many posts and subreddits.
    con.execute(
        """
        INSERT INTO reddit_comments (id, post_id, parent_id, subreddit, author, body, score, created_utc,
            score_hidden, stickied, distinguished, edited, retrieved_at, source, source_line, ingested_at)
        SELECT 'c' || n, 'p' || p, 't3_p' || p, 'sub' || (p % $subs),
               'user' || ((n * 7919) % $authors), 'reply ' || n || ' to post ' || p,
               2 * pow(2, k)::BIGINT, 1700000000 + p * 3600 + (k + 1) * 60,
               false, false, NULL, false, 1700100000,
               CASE WHEN p % 7 = 0 THEN 'praw:sub' || (p % $subs) || ':2025-01-01'
                    ELSE 'dump:RC_gen_' || (n // $lines) || '.ndjson' END,
               CASE WHEN p % 7 = 0 THEN NULL ELSE n % $lines + 1 END, 1700100000
        FROM (SELECT p, k, p * $k + k AS n FROM range($posts) AS a(p), range($k) AS b(k))
        """,
        params,
    )
    con.execute(
        """
        CREATE TEMP TABLE gen_pairs AS
        SELECT md5(c.post_id || ':' || c.id || ':' || r.id) AS pair_id,
               CAST(substr(c.post_id, 2) AS BIGINT) AS post_n,
               CASE WHEN CAST(substr(c.post_id, 2) AS BIGINT) % 10 = 3 THEN 'eval' ELSE 'train' END AS split,
               c.post_id, c.subreddit, c.id AS chosen_id, r.id AS rejected_id,
               c.author AS chosen_author, r.author AS rejected_author,
               c.score AS chosen_score, r.score AS rejected_score,
               c.body AS chosen, r.body AS rejected,
               c.created_utc AS chosen_created_utc, r.created_utc AS rejected_created_utc,
               s.author AS post_author
        FROM reddit_comments AS c
        JOIN reddit_comments AS r ON r.post_id = c.post_id AND r.score < c.score
        JOIN reddit_submissions AS s ON s.id = c.post_id
        """
    )
    snapshot_ids = []
    for s, n in enumerate(posts_per_snapshot, start=1):
        # Snapshot s froze the selection of its day: preference_pairs holds its pairs, which
        # the project's own queries digest and record (the newest stays the current selection).
        con.execute("DELETE FROM preference_pairs")
        con.execute(
            """
            INSERT INTO preference_pairs BY NAME  -- by name: the schema before versions has fewer columns
            SELECT pair_id, post_id, subreddit, 'title ' || post_n AS prompt, chosen_id, rejected_id,
                   chosen, rejected, chosen_author, rejected_author, chosen_score, rejected_score,
                   chosen_score / rejected_score AS score_ratio, 1700000000 + post_n * 3600 AS post_created_utc,
                   chosen_created_utc, rejected_created_utc, split, post_author
            FROM gen_pairs WHERE post_n < $posts AND ($s = 1 OR hash(pair_id || $s) % 20 <> 0)
            """,
            {"posts": n, "s": s},
        )
        pairs = con.sql(sql("select_snapshot_pairs")).to_arrow_table()
        digests = content_digests(con.from_arrow(pairs)).to_arrow_table()
        snapshot_id = snapshot_id_for(con.from_arrow(digests))
        snapshot_ids.append(snapshot_id)
        con.register("snapshot_pair_rows", pairs)
        con.register("snapshot_pair_digests", digests)
        con.execute(_snapshot_pairs_insert(pairs), {"snapshot_id": snapshot_id})
        con.unregister("snapshot_pair_rows")
        con.unregister("snapshot_pair_digests")
        counts = _snapshot_counts(con, snapshot_id)
        con.execute(
            """
            INSERT INTO snapshots (snapshot_id, created_at, path, rules, counts, dagster_run_id, code_version, last_frozen_at)
            VALUES ($id, TIMESTAMP '2025-01-01' + to_days($s), $path, $rules, $counts, $run, 'gen',
                    TIMESTAMP '2025-01-01' + to_days($s))
            """,
            {
                "id": snapshot_id,
                "s": s,
                "path": str(root / "snapshots" / snapshot_id),
                "rules": json.dumps({"min_score_ratio": 2.0, "rule_change": s}),
                "counts": json.dumps(counts),
                "run": f"dagster-snapshot-{s}",
            },
        )
        if write_files:  # as create_snapshot leaves them
            write_snapshot_dir(pairs, root / "snapshots" / snapshot_id, {"snapshot_id": snapshot_id, "counts": counts})
    warehouse = LineageWarehouse(spec, snapshot_ids)
    for r in range(spec.runs):
        warehouse.runs.append(_add_run(con, r, spec, snapshot_ids[r % spec.snapshots], root))
    con.execute("DROP TABLE gen_pairs")
    if write_files:
        for r, run in enumerate(warehouse.runs):
            write_model_dir(con, run, model_bytes(r))
    return warehouse


def _snapshot_counts(con, snapshot_id: str) -> dict:
    train, eval_, total, posts, subs = con.execute(
        """
        SELECT count(*) FILTER (split = 'train'), count(*) FILTER (split = 'eval'), count(*),
               count(DISTINCT post_id), count(DISTINCT subreddit)
        FROM snapshot_pairs WHERE snapshot_id = $id
        """,
        {"id": snapshot_id},
    ).fetchall()[0]
    return {"train": train, "eval": eval_, "total": total, "posts": posts, "subreddits": subs}


def _add_run(con, r: int, spec: LineageSpec, snapshot_id: str, root: Path) -> dict:
    run_id = hashlib.md5(f"run {r}".encode()).hexdigest()
    failed = spec.runs > 2 and r == spec.runs - 1
    run = {
        "run_id": run_id,
        "snapshot_id": snapshot_id,
        "model_path": str(root / "models" / f"{snapshot_id}-{r:02d}"),
        "status": "failed" if failed else "completed",
        "model_sha256": hashlib.sha256(model_bytes(r)).hexdigest(),
    }
    run["model_files"] = {"model.safetensors": run["model_sha256"]}  # what the trainer's manifest lists
    con.execute(
        """
        INSERT INTO training_runs (
            run_id, dagster_run_id, snapshot_id, base_model, base_model_sha256, hyperparameters, model_path,
            model_sha256, model_files_sha256, code_version, started_at, finished_at, status, final_metrics)
        VALUES (
            $run_id, $dagster_run_id, $snapshot_id, 'tiny', $base_sha, $hp, $model_path, $model_sha256,
            $files_sha256, 'gen', TIMESTAMP '2025-02-01' + to_hours($r), TIMESTAMP '2025-02-01' + to_hours($r + 1),
            $status, $metrics)
        """,
        {
            **{k: v for k, v in run.items() if k != "model_files"},
            "files_sha256": files_digest(run["model_files"]),
            "dagster_run_id": f"dagster-train-{r}",
            "base_sha": "0" * 64,
            "r": r,
            "hp": json.dumps({"loss_type": "sigmoid", "beta": 0.1, "seed": r}),
            "metrics": json.dumps({"loss": 0.5 - r / 100}),
        },
    )
    # ~90% of the snapshot's train pairs, in a run-specific order: 8 pairs a step, 2 epochs,
    # the last steps cut off, so some pairs are seen twice and some once.
    con.execute(
        """
        INSERT INTO training_run_pairs
        SELECT $run_id, pair_id, 0, (rank - 1) // 8, 1 + (rank % 3 <> 0)::INTEGER
        FROM (
            SELECT pair_id, row_number() OVER (ORDER BY hash(pair_id || $r)) AS rank
            FROM snapshot_pairs
            WHERE snapshot_id = $snapshot_id AND split = 'train' AND hash(pair_id || $r) % 10 <> 0
        )
        """,
        {"run_id": run_id, "snapshot_id": snapshot_id, "r": r},
    )
    return run


def write_model_dir(con, run: dict, weights: bytes) -> None:
    """model.safetensors and a training_manifest.json with the trainer's keys."""
    path = Path(run["model_path"])
    path.mkdir(parents=True, exist_ok=True)
    (path / "model.safetensors").write_bytes(weights)
    row = con.execute(
        "SELECT started_at, finished_at, hyperparameters, final_metrics FROM training_runs WHERE run_id = $id",
        {"id": run["run_id"]},
    ).fetchall()[0]
    pairs = (
        con.sql(
            """
        SELECT pair_id, epoch, first_step, times_seen FROM training_run_pairs
        WHERE run_id = $id ORDER BY first_step, pair_id
        """,
            params={"id": run["run_id"]},
        )
        .to_arrow_table()
        .to_pylist()
    )
    manifest = {
        "run_id": run["run_id"],
        "status": run["status"],
        "snapshot_id": run["snapshot_id"],
        "snapshot_dir": str(path.parent.parent / "snapshots" / run["snapshot_id"]),
        "base_model": {"name": "tiny", "dir": "/nowhere", "weights_sha256": "0" * 64},
        "code_version": "gen",
        "hyperparameters": json.loads(row[2]),
        "started_at": row[0].isoformat(),
        "finished_at": row[1].isoformat(),
        "final_metrics": json.loads(row[3]),
        "output": {
            "dir": str(path),
            "weights_sha256": hashlib.sha256(weights).hexdigest(),
            "files_sha256": run["model_files"],
        },
        "pairs": pairs,
    }
    (path / "training_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
