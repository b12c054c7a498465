"""Answer-vs-answer preference pairs from the Stack Exchange tables, rebuilt in one transaction.

`build_stackexchange_pairs(con, StackExchangeRules())` reads `se_posts`, `se_votes` and
`se_users` and replaces `stackexchange_pairs` (every column, attribution included) and the
Stack Exchange rows of the one pair table, `preference_pairs` (its columns, `source`
"stackexchange", `community` the site). SHP-2's rules, adapted (docs/stackexchange.md):
two answers to one question; the chosen one written later (`later_must_win`) and scored at
least `min_score_ratio` times higher (a defined ratio for scores <= 0,
`create_se_pair_candidates.sql`); each answer scored as of `score_horizon_days` after it was
posted, from the votes, where the site's Votes.xml was ingested (`create_se_pair_scores.sql`).
Bodies are HTML and become Markdown (`markdown`); the prompt is the title and the question's
body. Then the same exact and near-duplicate removal and per-question cap as Reddit's pairs
(`assets.pairs.dedup`), and a split by question.

The report's waterfall counts every candidate pair (each unordered pair of answers to one
question) once, under the first rule of `WATERFALL` that removed it, per site:
`candidate_pairs - sum(removed_by_rule) == kept`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
from html_to_markdown import convert

from assets.pairs.dedup import SELECTION_STEPS, dedup_pairs_under
from assets.pairs.rules import record_build
from assets.pairs.stackexchange.config import StackExchangeRules
from assets.warehouse.connect import sql_folder, transaction

sql = sql_folder(__file__)

QUESTION_STEPS = ("site", "question_score", "closed", "question_wiki", "question_deleted_owner", "question_empty")
ANSWER_STEPS = (
    "answer_wiki",
    "answer_deleted_owner",
    "asker_answer",
    "answer_empty",
    "answer_length",
    "horizon_not_reached",
    "answer_score",
)
PAIR_STEPS = ("score_tie", "earlier_won", "score_ratio", "accepted_rejected")
WATERFALL = QUESTION_STEPS + ANSWER_STEPS + PAIR_STEPS + SELECTION_STEPS


@dataclass
class StackExchangePairReport:
    """What a build did. Every dict over rules has all WATERFALL steps, in order."""

    candidate_pairs: int
    removed_by_rule: dict[str, int]
    kept: int  # == candidate_pairs - sum(removed_by_rule.values())
    train: int
    eval: int
    questions: int  # with at least one kept pair
    candidate_pairs_per_site: dict[str, int]
    removed_by_rule_per_site: dict[str, dict[str, int]]
    kept_per_site: dict[str, int]
    dedup: dict[str, float | int]
    # {site: {sibling_pairs, earlier_scored_higher}}: the early-answer advantage, for assets.pairs.bias
    early_lead_per_site: dict[str, dict[str, int]]
    timings_s: dict[str, float]
    rules: dict[str, object] = field(default_factory=dict)


def markdown(html: str | None) -> str:
    """A post's HTML as the Markdown-like text a model should read: paragraphs, fenced code
    blocks, lists, links and emphasis kept; entities decoded; LaTeX (`$...$`) left as typed."""
    return convert(html or "").content.strip()


def prompt_text(title: str | None, body: str | None) -> str:
    """The prompt: the question's title, a blank line, its body."""
    return "\n\n".join(part for part in ((title or "").strip(), markdown(body)) if part)


def _rule_params(rules: StackExchangeRules) -> dict[str, dict[str, object]]:
    return {
        "create_se_pair_scores": {"horizon_days": rules.score_horizon_days},
        "create_se_pair_questions": {
            "sites": rules.site_list,
            "min_question_score": rules.min_question_score,
            "drop_closed": rules.drop_closed,
            "drop_community_wiki": rules.drop_community_wiki,
            "drop_deleted_owner": rules.drop_deleted_owner,
        },
        "create_se_pair_answers": {
            "drop_community_wiki": rules.drop_community_wiki,
            "drop_deleted_owner": rules.drop_deleted_owner,
            "drop_asker_answers": rules.drop_asker_answers,
            "max_answer_chars": rules.max_answer_chars,
            "min_answer_score": rules.min_answer_score,
        },
        "create_se_pair_candidates": {
            "steps": list(WATERFALL),
            "later_must_win": rules.later_must_win,
            "min_score_ratio": float(rules.min_score_ratio),
            "accepted_never_rejected": rules.accepted_answer == "never_rejected",
        },
    }


def _texts(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """(site, id, text) of every post a kept pair shows: questions as prompts, answers as Markdown."""
    posts = con.execute(sql("select_se_pair_posts")).fetchall()
    texts = [prompt_text(title, body) if title is not None else markdown(body) for _, _, title, body in posts]
    return pa.table(
        {
            "site": pa.array([site for site, *_ in posts], pa.string()),
            "id": pa.array([post_id for _, post_id, *_ in posts], pa.int64()),
            "text": pa.array(texts, pa.string()),
        }
    )


def _dedup(con: duckdb.DuckDBPyConnection, rules: StackExchangeRules, texts: pa.Table) -> tuple[pa.Table, dict]:
    """(pair_id, site, step) of each kept pair that dedup or the per-question cap removes."""
    index = {key: i for i, key in enumerate(zip(texts["site"].to_pylist(), texts["id"].to_pylist()))}
    kept = con.execute(sql("select_se_pair_kept")).fetchnumpy()
    sites = kept["site"].tolist()
    result = dedup_pairs_under(
        rules,
        [index[site, answer] for site, answer in zip(sites, kept["chosen_id"].tolist())],
        [index[site, answer] for site, answer in zip(sites, kept["rejected_id"].tolist())],
        texts["text"].to_pylist(),
        kept["post_id"],
    )
    removed = [i for i, step in enumerate(result.reasons) if step is not None]
    table = pa.table(
        {
            "pair_id": pa.array([kept["pair_id"][i] for i in removed], pa.string()),
            "site": pa.array([sites[i] for i in removed], pa.string()),
            "step": pa.array([result.reasons[i] for i in removed], pa.string()),
        }
    )
    return table, result.stats


def build_stackexchange_pairs(
    con: duckdb.DuckDBPyConnection, rules: StackExchangeRules | None = None
) -> StackExchangePairReport:
    """Rebuild `stackexchange_pairs` under `rules`; all or nothing (one transaction)."""
    rules = rules or StackExchangeRules()
    started = time.perf_counter()
    try:
        with transaction(con):
            for name, params in _rule_params(rules).items():
                con.execute(sql(name), params)
            waterfall = con.execute(sql("select_se_pair_waterfall")).fetchall()
            early_lead = {
                site: {"sibling_pairs": siblings, "earlier_scored_higher": earlier}
                for site, siblings, earlier in con.execute(
                    sql("select_se_pair_candidate_early_lead"), {"pair_steps": list(PAIR_STEPS)}
                ).fetchall()
            }
            t_rules = time.perf_counter()
            texts = _texts(con)
            dedup_removed, dedup_stats = _dedup(con, rules, texts)
            t_dedup = time.perf_counter()
            con.register("se_pair_texts", texts)
            con.register("se_dedup_removed", dedup_removed)
            con.execute(sql("delete_from_stackexchange_pairs"))
            con.execute(
                sql("insert_into_stackexchange_pairs"),
                {
                    "split_salt": rules.split_salt,
                    "eval_fraction": float(rules.eval_fraction),
                    "horizon_days": rules.score_horizon_days,
                },
            )
            con.execute(sql("delete_from_preference_pairs"))
            con.execute(sql("insert_into_preference_pairs"))
            totals = con.execute(sql("select_stackexchange_pairs_totals")).fetchall()
            con.execute(sql("drop_se_pair_temp_tables"))
    finally:  # outside the transaction: an aborted one refuses to unregister
        for view in ("se_pair_texts", "se_dedup_removed"):
            con.unregister(view)
    ended = time.perf_counter()
    removed_rows = [(site, step, count) for site, step, count in waterfall if step is not None]
    removed_rows += [
        (site, step, 1) for site, step in zip(dedup_removed["site"].to_pylist(), dedup_removed["step"].to_pylist())
    ]
    timings = {"rules_sql": t_rules - started, "texts_and_dedup": t_dedup - t_rules, "write": ended - t_dedup}
    timings["total"] = ended - started
    report = _report(rules, waterfall, removed_rows, totals, dedup_stats, early_lead, timings)
    record_build(con, sql("insert_into_stackexchange_pair_builds"), report)
    return report


def _report(rules, waterfall, removed_rows, totals, dedup_stats, early_lead, timings) -> StackExchangePairReport:
    sites = sorted({site for site, *_ in waterfall})
    candidates = dict.fromkeys(sites, 0)
    for site, _, count in waterfall:
        candidates[site] += count
    removed = {site: dict.fromkeys(WATERFALL, 0) for site in sites}
    for site, step, count in removed_rows:
        removed[site][step] += count
    kept = dict.fromkeys(sites, 0)
    split_pairs = {"train": 0, "eval": 0}
    questions = 0
    for site, split, pairs, posts in totals:
        kept[site] += pairs
        split_pairs[split] += pairs
        questions += posts
    return StackExchangePairReport(
        candidate_pairs=sum(candidates.values()),
        removed_by_rule={step: sum(by_rule[step] for by_rule in removed.values()) for step in WATERFALL},
        kept=sum(kept.values()),
        train=split_pairs["train"],
        eval=split_pairs["eval"],
        questions=questions,
        candidate_pairs_per_site=candidates,
        removed_by_rule_per_site=removed,
        kept_per_site=kept,
        dedup=dedup_stats,
        early_lead_per_site=early_lead,
        timings_s=timings,
        rules=dataclasses.asdict(rules),
    )
