"""Plain functions behind the assets: no Dagster here, so each is testable on its own."""
