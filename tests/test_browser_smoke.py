import pytest

from tests.browser import wait_for_app
from tests.conftest import shot

pytestmark = pytest.mark.browser


def test_home_opens_and_every_page_is_in_the_navigation(app_server, page):
    page.goto(app_server.url)
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    for title in ("Home", "Train", "Runs", "Forecast", "Inspect", "Search"):
        link = sidebar.get_by_role("link", name=title, exact=True)
        link.wait_for(timeout=30_000)  # (count() does not wait for the sidebar to fill)
        assert link.count() == 1, title
    sidebar.get_by_text("Device").wait_for()
    shot(page, "home")
