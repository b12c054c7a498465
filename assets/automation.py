"""Automation conditions shared by the stages' assets."""

import dagster as dg

# Rebuild pairs whenever any ingest partition lands. (Not `eager()`: it waits for
# missing upstream partitions, and most days of `reddit_live` never exist.)
AFTER_NEW_RAW_DATA = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after new raw data")

# Snapshot and train after the upstream asset updated and its blocking checks passed.
AFTER_CHECKED_UPSTREAM = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("after checked upstream")
