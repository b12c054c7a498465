"""The model card names where its pairs came from, and each Stack Exchange site's licence with
the attribution CC BY-SA requires, from the snapshot manifest's `sources`."""

from __future__ import annotations

from training.outputs import model_card

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
