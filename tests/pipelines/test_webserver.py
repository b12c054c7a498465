"""The real Dagster webserver and daemon (`dagster dev`) on a loopback port, driven over GraphQL.

A user's path: drop the bundled dumps into the incoming folder, the sensor turns them into
partitions and ingest runs, then launch the dataset job and read back what the UI shows.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines.cli import SAMPLE_DUMPS
from tests.pipelines.dagster_dev import dagster_dev


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with dagster_dev(tmp_path_factory.mktemp("dagster"), tmp_path_factory.mktemp("warehouse")) as dev:
        yield dev


def test_dump_sensor_then_dataset_job_through_graphql(server):
    graphql = server.graphql
    nodes = graphql("{ assetNodes { assetKey { path } } }")["assetNodes"]
    assert {"reddit_dump", "reddit_live", "preference_pairs", "pair_snapshot"} <= {
        node["assetKey"]["path"][0] for node in nodes
    }

    incoming = server.warehouse / "incoming"
    incoming.mkdir()
    for dump in SAMPLE_DUMPS:
        shutil.copy(dump, incoming / dump.name)
    ingest_runs = server.wait_for_runs(lambda run: run["jobName"] == "ingest_dump_job", count=2)
    partitions = {tag["value"] for run in ingest_runs for tag in run["tags"] if tag["key"] == "dagster/partition"}
    assert partitions == {dump.name for dump in SAMPLE_DUMPS}

    launched = graphql(
        """
        mutation Launch($params: ExecutionParams!) {
          launchRun(executionParams: $params) {
            __typename
            ... on LaunchRunSuccess { run { runId } }
            ... on PythonError { message }
          }
        }
        """,
        params={
            "selector": {**server.repository_selector(), "jobName": "build_dataset_job"},
            "runConfigData": {},
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    server.wait_for_runs(lambda run: run["runId"] == run_id, count=1)

    # Automation may snapshot too (after the ingests); read this run's own materialization.
    materializations = graphql(
        """
        query Snapshot {
          assetOrError(assetKey: {path: ["pair_snapshot"]}) {
            ... on Asset { assetMaterializations(limit: 10) {
              runId
              metadataEntries { label ... on TextMetadataEntry { text } ... on PathMetadataEntry { path } }
            } }
          }
        }
        """
    )["assetOrError"]["assetMaterializations"]
    asset = next(m for m in materializations if m["runId"] == run_id)
    metadata = {entry["label"]: entry.get("text") or entry.get("path") for entry in asset["metadataEntries"]}
    snapshot_dir = Path(metadata["path"])
    assert snapshot_dir.name == metadata["snapshot_id"]
    assert (snapshot_dir / "dataset" / "dataset_dict.json").exists()

    checks = graphql(
        """
        query Checks {
          assetNodes(assetKeys: [{path: ["preference_pairs"]}]) {
            assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { status } } } }
          }
        }
        """
    )["assetNodes"][0]["assetChecksOrError"]["checks"]
    assert len(checks) == 6
    assert {check["executionForLatestMaterialization"]["status"] for check in checks} == {"SUCCEEDED"}


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
def test_asset_graph_page_renders_in_headless_chromium(server, tmp_path):
    from PIL import Image, ImageStat

    port = server.port
    screenshot = tmp_path / "asset-graph.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1400,900",
            "--virtual-time-budget=20000",
            f"--screenshot={screenshot}",
            f"http://127.0.0.1:{port}/asset-groups",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = Image.open(screenshot).convert("L")
    assert image.size == (1400, 900)
    # A blank or error page is one flat colour; the rendered graph has text, nodes and edges.
    assert ImageStat.Stat(image).stddev[0] > 10
