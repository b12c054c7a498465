"""`dagster dev` (webserver + daemon) for tests: started on a free loopback port in its own
process group so it can always be stopped, and driven through its GraphQL API."""

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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from assets.warehouse.connect import PROJECT_ROOT

RUNS = """
query Runs {
  runsOrError { ... on Runs { results {
    runId jobName status tags { key value } stepStats { stepKey startTime endTime }
  } } }
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DagsterDev:
    port: int
    warehouse: Path

    def graphql(self, query: str, **variables) -> dict:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.load(response)
        assert "errors" not in payload, payload["errors"]
        return payload["data"]

    def repository_selector(self) -> dict:
        node = self.graphql(
            "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
        )["repositoriesOrError"]["nodes"][0]
        return {"repositoryName": node["name"], "repositoryLocationName": node["location"]["name"]}

    def stop_sensor(self, name: str) -> None:
        sensor = self.graphql(
            "query S($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { ... on Sensor { id } } }",
            s={**self.repository_selector(), "sensorName": name},
        )["sensorOrError"]
        stopped = self.graphql("mutation Stop($id: String) { stopSensor(id: $id) { __typename } }", id=sensor["id"])[
            "stopSensor"
        ]
        assert stopped["__typename"] == "StopSensorMutationResult", stopped

    def wait_for_runs(self, accept, count: int, timeout: float = 300) -> list[dict]:
        """Wait until `count` runs that `accept` have ended; fail if any did not succeed."""
        deadline = time.monotonic() + timeout
        runs: list[dict] = []
        while time.monotonic() < deadline:
            runs = [run for run in self.graphql(RUNS)["runsOrError"]["results"] if accept(run)]
            ended = [run for run in runs if run["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
            if len(ended) >= count:
                assert all(run["status"] == "SUCCESS" for run in ended), ended
                return ended
            time.sleep(2)
        pytest.fail(f"runs did not finish in {timeout}s: {runs}")


@contextmanager
def dagster_dev(home: Path, warehouse: Path):
    """`dagster dev` on the project's workspace with its own instance and warehouse folders."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "UPVOTE_DPO_HOME": str(warehouse)}
    log_path = home / "dagster-dev.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"dagster dev did not start:\n{log_path.read_text()}")
                    time.sleep(1)
            yield DagsterDev(port, warehouse)
        finally:
            # SIGTERM to the whole group: dagster dev stops its webserver, daemon and runs.
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
