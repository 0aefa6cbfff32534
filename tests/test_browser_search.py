"""The Search page in a real Chromium: start a study, watch the trial table fill while it runs, stop
it, see the importance plot, press "Train with best" and land on Train with the best values filled in.

Screenshots: tests/artifacts/search-*.png.
"""
from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import RUN_NUMBER, after_run, enter_text, record_toasts, wait_for_app, wait_for_toast
from tests.conftest import tall_shot

pytestmark = pytest.mark.browser

# Rows the trial table shows (the data grid is drawn on a canvas; its accessible grid counts rows).
TABLE_ROWS = """() => { const grid = document.querySelector('.st-key-search_trial_table [aria-rowcount]');
    return grid ? Number(grid.getAttribute('aria-rowcount')) - 1 : -1; }"""
# Plotly charts by the figure name in their element key, with how many traces they draw.
CHARTS = """() => Object.fromEntries(Array.from(document.querySelectorAll('[class*="st-key-search_fig_"]'))
    .map(el => [Array.from(el.classList).find(c => c.startsWith('st-key-search_fig_')).slice(18),
                ((el.querySelector('.js-plotly-plot') || {}).data || []).length]))"""
IMPORTANCE_LABELS = """() => { const el = document.querySelector('.st-key-search_fig_importance .js-plotly-plot');
    return el && el.data && el.data.length ? Array.from(el.data[0].y || []) : []; }"""


TRIALS_ASKED = 10_000   # the form's most: the study runs until the test stops it


def page_state(page) -> dict:
    """What a failure message needs to say why the page is as it is: Streamlit's script state, the run
    it shows, each Stop button's HTML, and the worker lines."""
    return page.evaluate(f"""() => ({{
        script: document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state'),
        run: ({RUN_NUMBER})(),
        stop: Array.from(document.querySelectorAll('.st-key-search_stop')).map(el => el.outerHTML.slice(0, 600)),
        live_toggle: document.body.innerText.includes('Live updates'),
        workers: Array.from(document.querySelectorAll('[data-testid="stCaptionContainer"]'))
            .map(el => el.innerText).filter(t => t.includes('worker')),
    }})""")


def fill_number(page, label: str, value) -> None:
    enter_text(page, page.get_by_label(label, exact=True), str(value))


METRIC = """(label) => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
        const box = m.closest('[data-testid="stElementContainer"]');
        if (box && box.getAttribute('data-stale') === 'true') continue;  // left over from the last refresh
        const name = m.querySelector('[data-testid="stMetricLabel"]');
        if (name && name.innerText.trim() === label) return m.querySelector('[data-testid="stMetricValue"]').innerText;
    }
    return null; }"""


def slider_value(page, *labels: str) -> str:
    """The value shown on the thumb of the slider labelled with one of `labels`."""
    for label in labels:
        slider = page.locator("[data-testid='stSlider']", has=page.get_by_text(label, exact=True))
        if slider.count():
            return slider.first.locator("[data-testid='stSliderThumbValue']").first.inner_text()
    raise AssertionError(f"no slider labelled {labels}")


def narrow(page, key: str, thumb: int, press: str, to: float) -> None:
    """Move one thumb of a range slider with the keyboard, as a keyboard user would, until it shows
    `to` or beyond. It presses and reads the thumb one step at a time: a rerun of the page (the last
    widget's change, slow on a loaded machine) can take the focus between two presses."""
    handle = page.locator(f".st-key-{key} input[type='range']").nth(thumb)
    shown = page.locator(f".st-key-{key} [data-testid='stSliderThumbValue']").nth(thumb)
    there = (lambda v: v >= to) if press == "ArrowRight" else (lambda v: v <= to)
    for _ in range(40):
        if there(float(shown.inner_text())):
            break
        handle.focus()
        handle.press(press)
    assert there(float(shown.inner_text())), f"{key}: the thumb shows {shown.inner_text()}, not {to}"
    wait_for_app(page)


def test_start_a_study_watch_it_and_train_with_the_best(app_server, page):
    from zoo import search

    record_toasts(page)
    page.goto(f"{app_server.url}/search")
    wait_for_app(page)
    page.get_by_role("button", name="Start search").wait_for()
    tall_shot(page, "search-setup")

    study = f"browser-{secrets.token_hex(3)}"
    # Narrow the declared ranges to quick, sane trials: lr 1e-3..1e-2 (the 1-2-5 steps of the
    # slider), batch size up to 128, width up to 128, depth up to 2.
    narrow(page, "sp_mlp_lr_range", 0, "ArrowRight", 1e-3)
    narrow(page, "sp_mlp_lr_range", 1, "ArrowLeft", 1e-2)
    narrow(page, "sp_mlp_batch_size_range", 1, "ArrowLeft", 128)
    narrow(page, "sp_mlp_width_range", 1, "ArrowLeft", 128)
    narrow(page, "sp_mlp_depth_range", 1, "ArrowLeft", 2)
    # More trials than could ever finish during the test: it sees the table while the study runs, then
    # stops it, so what it checks does not depend on how fast the trials go (a study of 4 trials of
    # 0.1 s each could end between two refreshes of the table).
    fill_number(page, "Trials", TRIALS_ASKED)
    fill_number(page, "Epochs per trial", 2)
    fill_number(page, "Train samples (0 = all)", 300)
    enter_text(page, page.get_by_label("Study name", exact=True), study)
    page.get_by_role("button", name="Start search").click()

    page.get_by_text(f"Study {study}").wait_for(timeout=30_000)
    # The table fills while the study runs (it is read from the storage every couple of seconds):
    # wait for a refresh that shows two complete trials while Stop is still enabled.
    # (Each wait returns the rows it saw: a second read could land on a redraw, when the table is gone.)
    running_rows = page.wait_for_function(f"""() => {{
        const stop = Array.from(document.querySelectorAll('.st-key-search_stop button'));
        const rows = ({TABLE_ROWS})(), complete = ({METRIC})('Complete');
        return stop.length && !stop[0].disabled && rows >= 2 && complete !== null && Number(complete) >= 2
            && rows; }}""", timeout=180_000).json_value()
    assert 2 <= running_rows < TRIALS_ASKED, running_rows
    tall_shot(page, "search-running")

    # The screenshot resized the page: click Stop once it has settled. (Two CI runs timed out below,
    # Stop still enabled; the click had reached the app, which had stopped the study: the page's race
    # that tests/test_nothing_lost.py now makes certain.)
    page.wait_for_function("() => { const b = document.querySelector('.st-key-search_stop button');"
                           " return b && !b.disabled; }", timeout=30_000)
    wait_for_app(page)
    page.get_by_role("button", name="Stop").click()
    # Ended: Stop disabled, and the table shows every trial the study recorded.
    try:
        page.wait_for_function("""() => { const stop = document.querySelector('.st-key-search_stop button');
            return stop && stop.disabled; }""", timeout=60_000)
    except PlaywrightTimeout:
        raise AssertionError(f"Stop is still enabled 60 s after the click; the page: {page_state(page)}") from None
    ended = page.wait_for_function(f"""() => {{ const shown = ({METRIC})('Trials'), rows = ({TABLE_ROWS})();
        const complete = ({METRIC})('Complete');
        return shown !== null && shown !== '-' && ({METRIC})('Running') === '0' && rows === Number(shown)
            && complete !== null && complete !== '-' && {{rows: rows, complete: Number(complete)}}; }}""",
        timeout=30_000).json_value()
    shown_rows = ended["rows"]
    assert running_rows <= shown_rows < TRIALS_ASKED, (running_rows, shown_rows)
    assert ended["complete"] >= 2, "importance needs two complete trials"

    # Every figure drawn (the fragment redraws them in order; wait for a complete redraw).
    names = ["history", "intermediate", "importance", "parallel", "slice", "contour"]
    labels = page.wait_for_function(f"""() => {{ const c = ({CHARTS})(), labels = ({IMPORTANCE_LABELS})();
        return {names}.every(n => c[n] > 0) && labels.length > 0 && labels; }}""", timeout=30_000).json_value()
    space = search.build_space("mlp")
    assert set(labels) <= set(space.names) and labels, labels
    page.get_by_role("button", name="Stop").wait_for()
    assert page.get_by_role("button", name="Stop").is_disabled(), "the study ended: nothing to stop"
    tall_shot(page, "search-done")

    storage = str(app_server.runs_dir / "optuna" / "journal.log")
    trials = search.load_study(storage, study).get_trials()
    assert len(trials) == shown_rows, (len(trials), shown_rows)
    stopped = [t for t in trials if t.state.name != "COMPLETE" and t.state.name != "PRUNED"]
    assert len(stopped) <= 1, [t.state.name for t in trials]   # at most the trial that trained at the Stop
    trials = [t for t in trials if t.params]
    for t in trials:  # the narrowed ranges reached the study
        assert 1e-3 <= t.params["lr"] <= 1e-2 and t.params["batch_size"] <= 128 and t.params["width"] <= 128, t.params
        assert t.params["depth"] <= 2
    best = search.load_study(storage, study).best_trial

    page.get_by_role("button", name="Train with best").click()
    page.wait_for_url("**/train**", timeout=30_000)
    wait_for_app(page)
    page.get_by_role("button", name="Start training").wait_for()
    # Which trial filled it, and that its epochs are the study's per trial (a learner's check: no word of either)
    wait_for_toast(page, f"The form now holds trial {best.number}'s settings, the best of study {study}, with its ")
    # The Train page's form shows the best trial's values (found by the widgets' labels).
    assert slider_value(page, "learning rate", "lr") == f"{best.params['lr']:.4g}", best.params
    assert slider_value(page, "batch size", "batch_size") == str(best.params["batch_size"]), best.params
    assert slider_value(page, "width") == str(best.params["width"]), best.params
    assert slider_value(page, "depth") == str(best.params["depth"]), best.params
    optimizer = page.locator("[data-testid='stSelectbox']", has=page.get_by_text("optimizer", exact=True)).first
    shown = optimizer.evaluate(
        "el => el.innerText + ' ' + Array.from(el.querySelectorAll('input')).map(i => i.value).join(' ')")
    assert best.params["optimizer"] in shown.split(), (shown, best.params)
    tall_shot(page, "search-train-with-best")


SELECTED_TAB = "() => (document.querySelector('[role=tab][aria-selected=true]') || {}).innerText"


def test_a_study_picked_in_attach_keeps_the_attach_tab_open_and_a_reload_too(app_server, page):
    """A study picked in Attach's list drew the page again on the New study tab, so the Attach button went out of
    sight (a check of one person in two tabs); a reload gives the tab back with the study picked."""
    import optuna

    from tests.browser import choose
    from zoo.search import open_storage
    from zoo.search.storage import default_storage

    names = [f"attach-{secrets.token_hex(3)}-{n}" for n in (1, 2)]
    storage = open_storage(default_storage(app_server.runs_dir))
    for name in names:
        optuna.create_study(study_name=name, storage=storage)
    page.goto(f"{app_server.url}/search")
    wait_for_app(page)
    after_run(page, page.get_by_role("tab", name="Attach to a study").click)   # a tracked tab: its click reruns
    choose(page, "attach_name", names[1])
    wait_for_app(page)
    assert page.evaluate(SELECTED_TAB) == "Attach to a study"
    page.get_by_role("button", name="Attach").wait_for(state="visible")
    page.reload()
    wait_for_app(page)
    page.locator(".st-key-attach_name").wait_for(state="visible")
    assert page.evaluate(SELECTED_TAB) == "Attach to a study"
    assert page.locator(".st-key-attach_name input").input_value() == names[1]


def test_an_ended_studys_page_follows_a_worker_that_joins_it_from_a_shell_without_a_click(app_server, page):
    """A lab's check: a page left open on an ended study noticed a command-line worker that joined it only when
    reloaded. It now looks every few seconds, follows the worker's trial while it runs, and stops when it ends."""
    import optuna

    from zoo.search import open_storage
    from zoo.search.storage import default_storage

    name = f"joined-{secrets.token_hex(3)}"
    study = optuna.create_study(study_name=name, storage=open_storage(default_storage(app_server.runs_dir)))
    study.tell(study.ask(), 0.5)
    page.goto(f"{app_server.url}/search?study={name}")
    wait_for_app(page)
    page.get_by_text(f"Study {name}").wait_for()
    following = page.get_by_text("1 trial(s) of this study are running in workers this page did not start")
    assert not following.count()
    running = study.ask()   # a worker in a shell, mid-trial
    following.wait_for(timeout=30_000)
    page.wait_for_function(f"() => ({METRIC})('Running') === '1'", timeout=30_000)
    study.tell(running, 0.4)   # its worker ended it
    following.wait_for(state="detached", timeout=30_000)
    page.wait_for_function(f"() => ({METRIC})('Running') === '0' && ({METRIC})('Trials') === '2'", timeout=30_000)
