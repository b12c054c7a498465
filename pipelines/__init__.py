"""Dagster definitions (jobs, schedules, sensors, resources) and the `upvote-dpo` command."""
