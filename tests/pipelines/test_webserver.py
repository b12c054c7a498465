"""The real Dagster webserver and daemon (`dagster dev`) on a loopback port, driven over GraphQL.

A user's path: drop the bundled dumps into the incoming folder, the sensor turns them into
partitions and ingest runs, then launch the dataset job and read back what the UI shows.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assets.core.warehouse import PROJECT_ROOT
from pipelines.cli import SAMPLE_DUMPS



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GraphQL:
    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/graphql"

    def __call__(self, query: str, **variables) -> dict:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.load(response)
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`dagster dev` in its own process group, so it can always be stopped."""
    home = tmp_path_factory.mktemp("dagster")
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp_path_factory.mktemp("warehouse")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "UPVOTE_DPO_HOME": str(warehouse)}
    log = open(home / "dagster-dev.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    graphql = GraphQL(port)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"dagster dev did not start:\n{(home / 'dagster-dev.log').read_text()}")
                time.sleep(1)
        yield graphql, warehouse, port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


RUNS = """
query Runs { runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }
"""


def wait_for_runs(graphql, accept, count: int, timeout: float = 240) -> list[dict]:
    """Wait until `count` runs that `accept` have ended; fail on any that did not succeed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = [run for run in graphql(RUNS)["runsOrError"]["results"] if accept(run)]
        ended = [run for run in runs if run["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
        if len(ended) >= count:
            assert all(run["status"] == "SUCCESS" for run in ended), ended
            return ended
        time.sleep(2)
    pytest.fail(f"runs did not finish in {timeout}s: {runs}")


def test_dump_sensor_then_dataset_job_through_graphql(server):
    graphql, warehouse, _ = server
    nodes = graphql("{ assetNodes { assetKey { path } } }")["assetNodes"]
    assert {"reddit_dump", "reddit_live", "preference_pairs", "pair_snapshot"} <= {
        node["assetKey"]["path"][0] for node in nodes
    }

    incoming = warehouse / "incoming"
    incoming.mkdir()
    for dump in SAMPLE_DUMPS:
        shutil.copy(dump, incoming / dump.name)
    ingest_runs = wait_for_runs(graphql, lambda run: run["jobName"] == "ingest_dump_job", count=2)
    partitions = {tag["value"] for run in ingest_runs for tag in run["tags"] if tag["key"] == "dagster/partition"}
    assert partitions == {dump.name for dump in SAMPLE_DUMPS}

    repository = graphql(
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
    )["repositoriesOrError"]["nodes"][0]
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
            "selector": {
                "repositoryLocationName": repository["location"]["name"],
                "repositoryName": repository["name"],
                "jobName": "build_dataset_job",
            },
            "runConfigData": {},
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    wait_for_runs(graphql, lambda run: run["runId"] == run_id, count=1)

    asset = graphql(
        """
        query Snapshot {
          assetOrError(assetKey: {path: ["pair_snapshot"]}) {
            ... on Asset { assetMaterializations(limit: 1) {
              runId
              metadataEntries { label ... on TextMetadataEntry { text } ... on PathMetadataEntry { path } }
            } }
          }
        }
        """
    )["assetOrError"]["assetMaterializations"][0]
    assert asset["runId"] == run_id
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


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_asset_graph_page_renders_in_headless_chromium(server, tmp_path):
    from PIL import Image, ImageStat

    _, _, port = server
    screenshot = tmp_path / "asset-graph.png"
    subprocess.run(
        [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-quic", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,900",
            "--virtual-time-budget=20000", f"--screenshot={screenshot}",
            f"http://127.0.0.1:{port}/asset-groups",
        ],
        check=True, capture_output=True, timeout=120,
    )
    image = Image.open(screenshot).convert("L")
    assert image.size == (1400, 900)
    # A blank or error page is one flat colour; the rendered graph has text, nodes and edges.
    assert ImageStat.Stat(image).stddev[0] > 10
