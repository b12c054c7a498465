"""The model card names where its pairs came from (each Stack Exchange site's licence with
the attribution CC BY-SA requires, from the snapshot manifest's `sources`) and how they were
weighted (the snapshot's scheme, and the weight flags the run used)."""

from __future__ import annotations

from training.outputs import model_card, pair_weighting

MANIFEST = {
    "run_id": "r1",
    "status": "completed",
    "snapshot_id": "abc",
    "base_model": {"name": "tiny", "weights_sha256": "00"},
    "code_version": "test",
    "hyperparameters": {"loss_type": "sigmoid", "max_length": 64},
    "counts": {"train_pairs": 3, "eval_pairs": 1, "truncated_pairs": {"train": 0, "eval": 0}},
    "steps": 1,
    "pairs": [],
    "started_at": "s",
    "finished_at": "f",
    "eval_before": {},
    "eval_after": {},
    "final_metrics": {},
}
SOURCES = {
    "reddit": {"pairs": 1, "communities": {"AskReddit": 1}},
    "stackexchange": {
        "pairs": 3,
        "communities": {"quantumcomputing.stackexchange.com": 3},
        "licenses": {"quantumcomputing.stackexchange.com": ["CC BY-SA 3.0", "CC BY-SA 4.0"]},
        "attribution": "User content from Stack Exchange sites, licensed CC BY-SA.",
    },
}


def test_the_card_lists_each_source_site_and_licence():
    card = model_card({**MANIFEST, "sources": SOURCES})
    assert "## Data sources and licences" in card
    assert "- **reddit**: 1 pairs from AskReddit (1)" in card
    assert "  - quantumcomputing.stackexchange.com: CC BY-SA 3.0, CC BY-SA 4.0" in card
    assert SOURCES["stackexchange"]["attribution"] in card


def test_a_card_from_before_sources_has_no_such_section():
    assert "Data sources" not in model_card(MANIFEST)


def test_the_card_names_the_snapshots_weighting_and_the_flags_the_run_used():
    weighting = pair_weighting({"weighting": {"scheme": "log_ratio"}}, {"pair_weights": True})
    assert weighting == {"scheme": "log_ratio", "pair_weights": True, "confidence_label_noise": False}
    card = model_card({**MANIFEST, "weighting": weighting})
    assert "## Pair weights\n\nsnapshot weighting log_ratio; trained with --pair-weights.\n" in card
    both = pair_weighting({"weighting": {"scheme": "confidence"}}, {"pair_weights": 1, "confidence_label_noise": 1})
    assert "trained with --pair-weights and --confidence-label-noise" in model_card({**MANIFEST, "weighting": both})


def test_a_snapshot_without_weighting_counts_as_none_and_an_unrecorded_one_as_unknown():
    assert pair_weighting({}, {})["scheme"] == "none"
    assert "snapshot weighting unknown; trained unweighted" in model_card(MANIFEST)
