"""Jobs: what a user launches from the UI or the command line."""

import dagster as dg

from assets.ingest.assets import reddit_dump, reddit_live
from assets.ingest.stackexchange.assets import stackexchange_dump
from assets.model.assets import dpo_model
from assets.pairs.assets import preference_pairs
from assets.pairs.stackexchange.assets import stackexchange_pairs
from assets.singles.assets import preference_singles
from assets.snapshot.assets import pair_snapshot

ingest_dump_job = dg.define_asset_job(
    "ingest_dump_job",
    selection=[reddit_dump],
    description="Stream one dump file (a partition) into the raw tables.",
)
ingest_stackexchange_job = dg.define_asset_job(
    "ingest_stackexchange_job",
    selection=[stackexchange_dump],
    description="Stream one Stack Exchange site's dump (a partition) into the se_* tables.",
)
ingest_live_job = dg.define_asset_job(
    "ingest_live_job",
    selection=[reddit_live],
    description="Fetch one UTC day of posts and comments from Reddit through praw.",
)
build_dataset_job = dg.define_asset_job(
    "build_dataset_job",
    selection=[preference_pairs, stackexchange_pairs, preference_singles, pair_snapshot],
    description="Rebuild the preference pairs of every source and the singles, and freeze them as a snapshot.",
)
train_job = dg.define_asset_job(
    "train_job",
    selection=[dpo_model],
    description="Train a model on the newest snapshot (skipped if these settings already trained it).",
)
