import pytest

from tests.browser import wait_for_app
from tests.conftest import shot

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
