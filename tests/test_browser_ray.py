"""The Train page in a real Chromium against a server whose jobs run on a local Ray cluster
(PLAYGROUND_RAY_ADDRESS=local, 2 CPUs, started by the server): the page says where the job runs, the
live chart grows, Stop ends it quickly, and the finished run offers its checkpoint; the sidebar
names the cluster.
"""
from __future__ import annotations

import time

import pytest

pytest.importorskip("ray", reason="Ray is optional: pip install -r requirements-ray.txt (.ci/run does)")

from tests.browser import open_train, set_slider, streamlit_server, wait_for_points  # noqa: E402
from tests.conftest import tall_shot  # noqa: E402
from tests.test_browser_train import HAS_VAL_LOSS, run_id_from_url, wait_for_status  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.ray]


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory):
    runs = tmp_path_factory.mktemp("ray-server-runs")
    log = tmp_path_factory.mktemp("ray-server-log") / "streamlit.log"
    with streamlit_server(runs, log, PLAYGROUND_RAY_ADDRESS="local", PLAYGROUND_RAY_CPUS="2") as server:
        yield server


def test_train_page_runs_a_job_on_the_ray_cluster_and_stops_it(ray_server, page):
    open_train(page, ray_server.url)
    set_slider(page, "train-settings-epochs", "End")      # 200 epochs: still running when we stop it
    set_slider(page, "train-settings-patience", "Home")   # early stopping off
    page.get_by_role("button", name="Start training").click()
    run_id = run_id_from_url(page)

    page.locator("[data-testid='stSidebar']").get_by_text("Jobs run on the Ray cluster (local): 2 CPUs").wait_for()
    page.get_by_text("Worker: Ray node").wait_for(timeout=120_000)
    first = wait_for_points(page)
    later = wait_for_points(page, more_than=first, timeout=60_000)
    assert later > first
    page.wait_for_function(HAS_VAL_LOSS, timeout=120_000)   # one epoch: a checkpoint worth keeping
    tall_shot(page, "ray-train-live", settle=True)

    start = time.perf_counter()
    page.get_by_role("button", name="Stop").click()
    wait_for_status(page, "stopped", timeout=10_000)
    elapsed = time.perf_counter() - start
    # Printed, not asserted: its speed is bench/stop_latency.py's and bench/responsiveness.py's (a timed
    # assertion here failed on a loaded machine, at 3.7 s, while the server had the stop in 0.1 s).
    print(f"\nStop -> 'stopped' shown in {elapsed:.2f} s (Ray)")
    page.get_by_role("button", name="best.pt").wait_for()
    assert (ray_server.runs_dir / run_id / "best.pt").exists()
    tall_shot(page, "ray-train-stopped", settle=True)
