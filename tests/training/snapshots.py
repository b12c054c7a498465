"""Pair snapshots in the data side's format (manifest.json, pairs.parquet, dataset/), written from
realistic Reddit-style rows, for the trainer tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

# Reddit-style pairs: the same post, a more upvoted reply (chosen) and a less upvoted one.
PAIRS = [
    (
        "askreddit",
        "What's a small habit that noticeably improved your life?",
        "Putting my phone in another room an hour before bed. I fall asleep faster and actually read again.",
        "idk drinking water i guess",
        412,
        9,
    ),
    (
        "cooking",
        "Why does my homemade bread always come out dense?",
        "Usually under-proofing or too little hydration. Let it rise until it roughly doubles and try a wetter dough.",
        "Buy it from a bakery lol",
        156,
        3,
    ),
    (
        "personalfinance",
        "Is it worth paying off a 3% car loan early?",
        "Not really. At 3% you're usually better off keeping an emergency fund and investing the difference.",
        "Debt is slavery, pay it off now.",
        88,
        12,
    ),
    (
        "learnpython",
        "What's the difference between a list and a tuple?",
        "Lists are mutable, tuples aren't. Use a tuple for fixed records and as dict keys; lists for collections that change.",
        "tuples are faster",
        64,
        5,
    ),
    (
        "gardening",
        "My tomato leaves are turning yellow from the bottom up. Help?",
        "Lower leaves yellowing is often early blight or nitrogen deficiency. Remove affected leaves and water at the base.",
        "Tomatoes are hard, try peppers.",
        51,
        2,
    ),
    (
        "college",
        "How do you stay motivated during finals week?",
        "Small blocks: 50 minutes on, 10 off, and a written list of what each block is for. Sleep matters more than cramming.",
        "coffee. lots of coffee.",
        97,
        30,
    ),
    (
        "bicycling",
        "Is a cheap road bike worth it for commuting 10 km a day?",
        "Yes, as long as it fits you. Add fenders and a rack; a well-fitted cheap bike beats an expensive wrong-sized one.",
        "Just get a car.",
        73,
        1,
    ),
    (
        "homeimprovement",
        "Best way to patch a small hole in drywall?",
        "For anything under a few centimetres, a self-adhesive mesh patch, two thin coats of joint compound, sand and paint.",
        "Hang a picture over it",
        120,
        44,
    ),
]


def pair_rows(n: int, offset: int = 0) -> list[dict]:
    rows = []
    for i in range(n):
        sub, prompt, chosen, rejected, cs, rs = PAIRS[(offset + i) % len(PAIRS)]
        rows.append(
            {
                "pair_id": f"p{offset + i:04d}",
                "post_id": f"t3_{offset + i:05x}",
                "subreddit": sub,
                "prompt": prompt if i < len(PAIRS) else f"{prompt} (asked again, #{i})",
                "chosen": chosen,
                "rejected": rejected,
                "chosen_id": f"c{offset + i:05x}a",
                "rejected_id": f"c{offset + i:05x}b",
                "chosen_score": cs,
                "rejected_score": rs,
                "score_ratio": cs / max(rs, 1),
            }
        )
    return rows


def write_snapshot(
    path: Path, train: list[dict], eval: list[dict], snapshot_id: str | None = None, shard_per_split: bool = True
) -> Path:
    """A snapshot directory as assets/snapshot writes it: manifest.json, pairs.parquet, dataset/.
    `shard_per_split=False`: as it wrote them before, an empty split without a data file."""
    import datasets

    path.mkdir(parents=True, exist_ok=True)
    snapshot_id = snapshot_id or hashlib.sha256(json.dumps([train, eval], sort_keys=True).encode()).hexdigest()[:16]
    features = datasets.Features(
        {
            "pair_id": datasets.Value("string"),
            "post_id": datasets.Value("string"),
            "subreddit": datasets.Value("string"),
            "prompt": datasets.Value("string"),
            "chosen": datasets.Value("string"),
            "rejected": datasets.Value("string"),
            "chosen_id": datasets.Value("string"),
            "rejected_id": datasets.Value("string"),
            "chosen_score": datasets.Value("int64"),
            "rejected_score": datasets.Value("int64"),
            "score_ratio": datasets.Value("float64"),
        }
    )
    for column in ("weight", "confidence"):  # a weighted snapshot's columns, where the rows have them
        if any(column in row for row in train + eval):
            features[column] = datasets.Value("float64")

    def split(rows):
        return (
            datasets.Dataset.from_list(rows, features=features)
            if rows
            else datasets.Dataset.from_dict({k: [] for k in features}, features=features)
        )

    num_shards = {"train": 1, "eval": 1} if shard_per_split else None
    datasets.DatasetDict({"train": split(train), "eval": split(eval)}).save_to_disk(
        str(path / "dataset"), num_shards=num_shards
    )
    split(train + eval).to_parquet(str(path / "pairs.parquet"))
    manifest = {
        "snapshot_id": snapshot_id,
        "counts": {"train": len(train), "eval": len(eval), "total": len(train) + len(eval)},
        "rules": {"min_score_ratio": 2.0},
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


def train_tiny(root: Path, train_pairs: int, eval_pairs: int, **settings) -> Path:
    """A tiny model trained for a few steps on a snapshot of Reddit-style pairs under `root`."""
    from training import TrainConfig, train

    snapshot = write_snapshot(root / "snap", pair_rows(train_pairs), pair_rows(eval_pairs, offset=train_pairs))
    cfg = TrainConfig(
        snapshot_dir=str(snapshot),
        out_dir=str(root / "model"),
        model="tiny",
        max_length=64,
        batch_size=2,
        device="cpu",
        **{"max_steps": 2, **settings},
    )
    return Path(train(cfg).out_dir)


def single_rows(pairs: list[dict]) -> list[dict]:
    """Each pair as two singles, as dataset_singles/ holds them: its chosen reply desirable,
    its rejected one undesirable."""
    return [
        {"single_id": f"{p['pair_id']}{side}", "prompt": p["prompt"], "completion": p[side], "label": side == "chosen"}
        for p in pairs
        for side in ("chosen", "rejected")
    ]


def write_singles(snapshot: Path, train: list[dict], eval: list[dict]) -> Path:
    """dataset_singles/ (TRL's KTO columns and the single ids) in a snapshot written by `write_snapshot`."""
    import datasets

    features = datasets.Features(
        {
            "single_id": datasets.Value("string"),
            "prompt": datasets.Value("string"),
            "completion": datasets.Value("string"),
            "label": datasets.Value("bool"),
        }
    )
    splits = {
        name: datasets.Dataset.from_list(rows, features=features) for name, rows in (("train", train), ("eval", eval))
    }
    datasets.DatasetDict(splits).save_to_disk(str(snapshot / "dataset_singles"), num_shards={"train": 1, "eval": 1})
    return snapshot
