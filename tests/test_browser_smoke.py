import pytest

from tests.browser import wait_for_app
from tests.conftest import shot, wait_for
from ui.state import VISITOR_COOKIE

pytestmark = pytest.mark.browser


def test_home_opens_and_every_page_is_in_the_navigation(app_server, page):
    outside = []   # what the page asks of any host but this server: nothing, so that it works offline
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((app_server.url, "data:", "blob:")) else None)
    page.goto(app_server.url)
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    for title in ("Home", "Train", "Runs", "Forecast", "Inspect", "Search"):
        link = sidebar.get_by_role("link", name=title, exact=True)
        link.wait_for(timeout=30_000)  # (count() does not wait for the sidebar to fill)
        assert link.count() == 1, title
    sidebar.get_by_text("Device").wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('link[rel~=icon]')].some(l => "
                           "l.href.includes('/media/'))")   # the icon served by this server (app.py)
    shot(page, "home")
    page.wait_for_function("() => document.title === 'Home · PyTorch playground'")   # each page its own title
    sidebar.get_by_role("link", name="Runs", exact=True).click()
    page.wait_for_function("() => document.title === 'Runs · PyTorch playground'")
    assert not outside, f"requests outside the server (they fail offline): {sorted(set(outside))}"


def test_a_page_asked_for_while_a_fragment_ends_is_drawn_at_the_top(page, tmp_path):
    """A click on Runs while the Train page's live chart redrew (a fragment's rerun each second) drew the Runs
    page's title inside the chart's place, and the browser's app broke on it and went blank (a CI run; the pinned
    Streamlit runs the two in one script thread: ui/state.page_starts_at_the_top). Here the Train form's fragment
    rerun waits at its end (tests/slow_fragment_end.py) until the click on Runs arrives: without the fix the
    Runs page's title came at [0, 2, 0, 1] and the page broke ("Bad delta path index 2"); the Runs page is drawn."""
    from tests.browser import one_thumb, streamlit_server

    ending = tmp_path / "fragment-ending"
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with streamlit_server(tmp_path / "runs", tmp_path / "streamlit.log", before="tests.slow_fragment_end",
                          TEST_FRAGMENT_ENDING_FILE=str(ending)) as server:
        page.goto(f"{server.url}/train")
        wait_for_app(page)
        thumb = one_thumb(page, "train-settings-epochs")
        thumb.focus()
        thumb.press("ArrowRight")   # the form's fragment reruns, alone
        wait_for(ending.exists, timeout=60, what="the fragment's rerun to have drawn everything")
        page.locator('[data-testid="stSidebarNav"] a', has_text="Runs").first.click()
        page.get_by_role("heading", name="Runs", exact=True).wait_for()
        wait_for_app(page)
        assert ending.read_text() == "a rerun was asked for", "the click came after the fragment's rerun had ended"
        assert page.locator('[data-testid="stMain"] h1').first.inner_text().startswith("Runs"), "not at the top"
        assert not errors, errors


# The browser tests share one Chromium profile per test process (tests/conftest.py's `chromium_profile`); each test is
# still a new visitor (`visitor_tabs`). The second test checks what the first left; it runs only after the first in
# the same process, which the README's `--dist loadfile` (a file to one process, in its order) and a plain run give.
LEFT_BEHIND = []


def test_a_test_that_leaves_a_cookie_storage_and_tabs_behind(app_server, page):
    page.goto(f"{app_server.url}/train")
    wait_for_app(page)
    page.evaluate("() => localStorage.setItem('left-by-the-test-before', 'yes')")
    # The page's own script writes the cookie once the browser has drawn the run (ui/state.keep_visitor): a state to
    # wait on, not one to read once (a CI run read the cookies before it was written)
    page.wait_for_function(f"() => document.cookie.includes('{VISITOR_COOKIE}=')")
    page.context.new_page().goto(f"{app_server.url}/runs")
    assert any(c["name"] == VISITOR_COOKIE for c in page.context.cookies())
    LEFT_BEHIND.append(app_server.url)


def test_the_next_test_starts_as_a_new_visitor_in_one_tab(app_server, page):
    if LEFT_BEHIND != [app_server.url]:
        pytest.skip("the test before it did not run in this process (`-k`, or `--dist load`)")
    assert page.context.cookies() == []
    assert len(page.context.pages) == 2   # this test's tab and the profile's own blank one
    page.goto(f"{app_server.url}/train")
    wait_for_app(page)
    assert page.evaluate("() => localStorage.getItem('left-by-the-test-before')") is None
