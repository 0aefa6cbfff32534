"""The Inspect page in a real browser: a finished run opened by its link shows the summary table,
and picking a test image shows a Grad-CAM overlay. Screenshots go to tests/artifacts/."""
import re

import pytest

from tests.browser import after_run, wait_for_app
from tests.conftest import shot
from zoo.engine import run_experiment
from zoo.spec import ExperimentSpec

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def finished_run(app_server):
    spec = ExperimentSpec(model="cnn", data="mnist-sample", epochs=1, seed=0, device="cpu", patience=0,
                          limit_train=2048)
    return run_experiment(spec, runs_dir=app_server.runs_dir)


def no_exception(page) -> None:
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()


def open_tab(page, name: str) -> None:
    """Open a tab and wait for the run its click starts (app_pages/inspect.py's tabs rerun on change and
    draw only the open tab) to end: a run that has not started yet is not taken for one that has, and
    a click that lands while it draws is not lost (a CI run lost Grad-CAM++'s click that way)."""
    tab = page.get_by_role("tab", name=name)
    if tab.get_attribute("aria-selected") == "true":
        return
    after_run(page, tab.click)


def test_inspect_run_shows_summary_and_grad_cam_overlay(app_server, finished_run, page):
    page.goto(f"{app_server.url}/inspect?run={finished_run.run_id}")
    wait_for_app(page)
    main = page.locator("[data-testid='stMain']")
    main.get_by_text(f"Run `{finished_run.run_id}`".replace("`", ""), exact=False).first.wait_for()
    table = main.locator("[data-testid='stDataFrame']").first
    table.wait_for()
    assert table.bounding_box()["height"] > 300          # the layer rows, not an empty frame
    main.get_by_text("44,426").first.wait_for()          # LeNet's parameters, in the totals
    # beside torchinfo's estimate, the measured step (attention's scores and the like are no layer's output)
    step = main.locator("[data-testid='stMetric']").filter(has_text="Training step, measured")
    step.wait_for()
    assert re.search(r"[0-9.,]+ MB", step.inner_text()), step.inner_text()
    # the grid draws on a canvas; its cells are also in an accessible (hidden) table
    cells = table.locator("[role='gridcell']")
    cells.filter(has_text="features.3").first.wait_for(state="attached")
    assert cells.filter(has_text="Conv2d").count() == 2 and cells.filter(has_text="Linear").count() == 3
    main.get_by_text("model unchanged").wait_for()
    no_exception(page)
    shot(page, "inspect-summary")

    open_tab(page, "Grad-CAM / Saliency")
    main.get_by_text("Grad-CAM at features.3").wait_for()
    images = main.locator("[data-testid='stImage'] img")
    old_sources = [images.nth(i).get_attribute("src") for i in range(3)]
    index = main.get_by_label(re.compile(r"Test image \(0 to 999\)"))
    index.fill("7")
    index.press("Enter")
    main.get_by_text(re.compile(r"test image 7 · label \d")).wait_for()
    wait_for_app(page)
    assert images.count() == 3
    # the pictures themselves are replaced (new media files), and loaded, not only their captions
    page.wait_for_function(
        "old => { const imgs = [...document.querySelectorAll(\"[data-testid='stImage'] img\")];"
        " return imgs.length === 3"
        " && imgs.every((im, i) => im.src !== old[i] && im.complete && im.naturalWidth > 0); }",
        arg=old_sources)
    for i in range(3):
        box = images.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
    main.get_by_text(re.compile(r"overlay · class \d \(\d+\.\d%\)")).wait_for()
    no_exception(page)
    shot(page, "inspect-gradcam")


def test_every_inspect_tab_renders(app_server, finished_run, page):
    page.goto(f"{app_server.url}/inspect?run={finished_run.run_id}")
    wait_for_app(page)
    main = page.locator("[data-testid='stMain']")
    main.locator("[data-testid='stDataFrame']").first.wait_for()

    open_tab(page, "Internals")
    main.get_by_text("Hook dictionaries").wait_for()
    no_exception(page)
    shot(page, "inspect-internals")

    open_tab(page, "Init lab")
    main.get_by_text("Signal through the layers").wait_for()
    no_exception(page)
    shot(page, "inspect-init")

    open_tab(page, "Modes & precision")
    main.get_by_text("Largest output difference").wait_for()
    no_exception(page)
    shot(page, "inspect-modes")

    open_tab(page, "Hooks")
    main.get_by_role("button", name="Run one batch").click()
    main.get_by_text("Hooks now").wait_for()
    wait_for_app(page)
    hooks_now = main.locator("[data-testid='stMetric']").filter(has_text="Hooks now")
    assert hooks_now.locator("[data-testid='stMetricValue']").inner_text().strip() == "0"
    no_exception(page)
    shot(page, "inspect-hooks")


def test_the_grad_cam_method_comes_back_with_the_cnn_after_an_mlp(app_server, finished_run, page):
    """Grad-CAM++ chosen for a CNN, then an MLP (Saliency is all it can show), then the CNN again: the
    method was left at Saliency (a new-user check found it). It comes back as chosen, with its own
    caption (which once described plain Grad-CAM)."""
    from tests.browser import choose, enter_text

    mlp = run_experiment(ExperimentSpec(model="mlp", data="mnist-sample", epochs=1, seed=0, device="cpu",
                                        limit_train=256), runs_dir=app_server.runs_dir)
    page.goto(f"{app_server.url}/inspect?run={finished_run.run_id}")
    wait_for_app(page)
    main = page.locator("[data-testid='stMain']")
    open_tab(page, "Grad-CAM / Saliency")
    main.get_by_text("Grad-CAM at features.3").wait_for()
    page.locator(".st-key-inspect-cam-method button").filter(has_text="Grad-CAM++").click()
    main.get_by_text("Grad-CAM++ at features.3").wait_for()
    main.get_by_text("second- and third-order gradients").wait_for()
    # A click on the chosen method left none chosen, and plain Grad-CAM drawn under no choice (a learner's
    # check): the controls are `required`. The image's Enter is a run after that click's, if it made one.
    page.locator(".st-key-inspect-cam-method button").filter(has_text="Grad-CAM++").click()
    enter_text(page, main.get_by_label(re.compile(r"Test image \(0 to 999\)")), "3")
    main.get_by_text(re.compile(r"test image 3 · label \d")).wait_for()
    assert main.get_by_text("Grad-CAM++ at features.3").is_visible()
    choose(page, "inspect-run", mlp.run_id)
    main.get_by_text("gradient saliency |∂logit/∂pixel|").wait_for()
    choose(page, "inspect-run", finished_run.run_id)
    main.get_by_text("Grad-CAM++ at features.3").wait_for()
    no_exception(page)


def test_back_from_inspect_returns_to_the_page_before_as_it_was(app_server, finished_run, page):
    """Inspect wrote its run into the address at every load, a browser history entry of its own: Back stayed on
    Inspect, or opened the Train page with that run's ?run= (a learner's check). The address names a run once the
    visitor picks one, and one Back leaves."""
    from tests.browser import choose, open_train

    mlp = run_experiment(ExperimentSpec(model="mlp", data="mnist-sample", epochs=1, seed=0, device="cpu",
                                        limit_train=256), runs_dir=app_server.runs_dir)   # the newest: Inspect opens it
    open_train(page, app_server.url)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("link", name="Inspect", exact=True).click()
    main = page.locator("[data-testid='stMain']")
    main.get_by_text("model unchanged").wait_for(timeout=60_000)   # the newest run's summary: the page ran whole
    wait_for_app(page)
    assert page.evaluate("() => location.pathname + location.search") == "/inspect"
    page.go_back()
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.evaluate("() => location.pathname + location.search") == "/train"
    assert not page.locator(".st-key-run-status").count()   # no run opened beside the form
    page.go_forward()
    main.get_by_text("model unchanged").wait_for(timeout=60_000)
    choose(page, "inspect-run", finished_run.run_id)   # the newest is the mlp
    page.wait_for_function("id => location.search === `?run=${id}`", arg=finished_run.run_id)   # a pick: a link
    choose(page, "inspect-run", mlp.run_id)
    page.wait_for_function("id => location.search === `?run=${id}`", arg=mlp.run_id)
    # Back to the run picked before: its address and the box agree (the box had kept the later pick)
    page.go_back()
    page.wait_for_function("id => location.search === `?run=${id}`", arg=finished_run.run_id)
    page.wait_for_function("id => (document.querySelector('.st-key-inspect-run input')?.value || '').startsWith(id)",
                           arg=finished_run.run_id)
    # A new model, then Back: the run it left, in the box again (Back had stayed on the new model, and taken the
    # run out of the address again: a learner's check)
    after_run(page, page.locator(".st-key-inspect-source button").filter(has_text="New model").click)
    page.wait_for_function("() => location.search === ''")
    page.go_back()
    page.wait_for_function("id => location.search === `?run=${id}`", arg=finished_run.run_id)
    page.wait_for_function("id => (document.querySelector('.st-key-inspect-run input')?.value || '').startsWith(id)",
                           arg=finished_run.run_id, timeout=30_000)
    assert page.evaluate("() => location.search") == f"?run={finished_run.run_id}"
    no_exception(page)


def test_internals_shows_every_parameter_of_a_stacked_bidirectional_lstm(app_server, page):
    """`_parameters` of a 2-layer bidirectional LSTM showed 10 of its 16 rows, with no word of the rest and no
    scroll bar until hovered, and a learner concluded the `_l1_reverse` weights did not exist: the table is as
    tall as its rows."""
    spec = ExperimentSpec(model="lstm", data="mnist-sample", epochs=1, seed=0, device="cpu", limit_train=64,
                          model_params={"num_layers": 2, "bidirectional": True})
    run = run_experiment(spec, runs_dir=app_server.runs_dir)
    page.goto(f"{app_server.url}/inspect?run={run.run_id}")
    wait_for_app(page)
    open_tab(page, "Internals")
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Module").locator("input")
    if not box.input_value().startswith("rnn"):   # the first layer with weights is the one shown first
        box.click()
        box.fill("rnn")
        after_run(page, page.get_by_role("option", name="rnn · LSTM").click)
    table = page.locator("[data-testid='stDataFrame']").filter(has_text="weight_ih_l1_reverse")
    table.wait_for(timeout=30_000)
    no_exception(page)
    rows = 16   # weight_ih, weight_hh, bias_ih, bias_hh for each of 2 layers x 2 directions
    assert table.bounding_box()["height"] >= 35 * (rows + 1) - 2, table.bounding_box()
