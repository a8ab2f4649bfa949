"""The web UI in headless Chromium against a real ``picsift serve`` (tiny preset, the sample
photos indexed and clustered by the CLI). Screenshots at 1280 and 390 px go to
``tests-artifacts/screens/`` (or ``$PICSIFT_TEST_ARTIFACTS/screens``)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SAMPLES
from tests.web.live import Browser, LiveServer

pytestmark = pytest.mark.browser
TIMEOUT_MS = 15_000


@pytest.fixture
def page(browser: Browser) -> Iterator[Any]:
    page = browser.page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    errors = list(page.js_errors)
    page.context.close()
    assert not errors, f"JavaScript errors: {errors}"


def _photo() -> str:
    return str(sorted(SAMPLES.glob("*.jpg"))[0])


def test_library_category_paging_and_rename(page: Any, browser: Browser, live: LiveServer):
    page.goto("/ui")
    assert page.title().startswith("Library")
    browser.shoot(page, "library")
    tree = live.get("/categories")
    biggest = tree["categories"][0]
    page.get_by_role("link", name=biggest["name"], exact=True).first.click()
    page.wait_for_url(f"**/ui/categories/{biggest['id']}")
    assert page.locator("h1").inner_text() == biggest["name"]
    browser.shoot(page, "category")

    page.goto(f"/ui/categories/{biggest['id']}?per=3")
    pages = -(-biggest["size"] // 3)
    assert page.get_by_text(f"Page 1 of {pages}").is_visible()
    first_page = page.locator("#grid img").evaluate_all("els => els.map(e => e.src)")
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**page=2**")
    assert page.get_by_text(f"Page 2 of {pages}").is_visible()
    second_page = page.locator("#grid img").evaluate_all("els => els.map(e => e.src)")
    assert second_page and not set(first_page) & set(second_page)

    page.get_by_role("button", name="Rename").click()
    page.get_by_label("New name").fill("Favourite things")
    page.get_by_role("button", name="Save").click()
    page.wait_for_function("document.querySelector('h1').textContent === 'Favourite things'")
    assert live.get(f"/categories/{biggest['id']}")["category"]["name"] == "Favourite things"
    page.goto("/ui")
    assert page.get_by_role("link", name="Favourite things", exact=True).count() == 1


def test_unsorted_is_shown_as_such(page: Any, live: LiveServer) -> None:
    unsorted = live.get("/categories")["unsorted"]
    page.goto("/ui/categories/0")
    assert page.locator("h1").inner_text() == "Unsorted"
    assert page.locator("#grid li").count() == min(unsorted["size"], 48)
    assert page.get_by_role("button", name="Rename").count() == 0


def test_search_as_you_type_with_filters_and_why(page: Any, browser: Browser, live: LiveServer):
    page.goto("/ui/search")
    page.get_by_label("Describe what you are looking for").press_sequentially("red", delay=30)
    page.wait_for_selector("#results[data-state=done] li")
    assert re.match(r"\d+ results? for “red”", page.locator("#summary").inner_text())
    assert "q=red" in page.url
    first = page.locator("#results li").first
    first.get_by_text("Why this result").click()
    assert re.search(r"#\d+ \(score", first.locator("dl").inner_text())

    category = live.get("/categories")["categories"][0]
    members = {
        image["id"] for image in live.get(f"/categories/{category['id']}", limit=200)["images"]
    }
    page.locator("#filters summary").click()
    page.locator(f"label.chip:has(input[name=category][value='{category['id']}'])").click()
    page.wait_for_function(
        "document.querySelector('#filter-count').textContent.includes('1 on') && "
        "document.querySelector('#results').dataset.state === 'done'"
    )
    hrefs = page.locator("#results a.thumb").evaluate_all("els => els.map(e => e.href)")
    shown = {int(h.rsplit("/", 1)[1]) for h in hrefs}
    assert shown and shown <= members
    browser.shoot(page, "search")


def test_search_by_uploaded_image(page: Any) -> None:
    page.goto("/ui/search")
    page.locator("#example").set_input_files(_photo())
    page.wait_for_selector("#results[data-state=done] li")
    assert "for the example" in page.locator("#summary").inner_text()
    assert page.locator("#drop-preview").is_visible()
    page.get_by_role("button", name="Remove example").click()
    assert page.locator("#results li").count() == 0


def test_image_page_and_similar_strip(page: Any, browser: Browser, live: LiveServer) -> None:
    page.goto("/ui/images/1")
    row = live.get("/images/1")
    assert page.locator("h1").inner_text() == row["path"].rsplit("/", 1)[1]
    assert page.locator("#description").inner_text().strip()
    assert page.locator(".swatch").count() >= 1
    alt = page.locator("#photo").get_attribute("alt")
    assert alt and len(alt) <= 125
    page.wait_for_selector("#similar[data-state=done] li")
    assert page.locator("#similar img").count() >= 1
    browser.shoot(page, "image")
    target = page.locator("#similar a").first.get_attribute("href")
    page.locator("#similar a").first.click()
    page.wait_for_url(f"**{target}")


def test_image_page_overlays_the_structure_maps(
    page: Any, browser: Browser, live: LiveServer
) -> None:
    live.cli("facets", "--names", "depth,regions,edges", "-m", "tiny")
    page.goto("/ui/images/2")
    assert page.locator("#overlays input").count() == 3
    regions = page.locator(".overlay-regions")
    assert regions.is_hidden() and page.locator("#region-legend").is_hidden()
    page.locator("#overlays input[value=regions]").check()
    assert regions.is_visible() and page.locator("#region-legend li").count() >= 1
    assert page.locator("#region-legend").is_visible()
    page.locator("#overlays input[value=depth]").check()
    assert page.locator(".overlay-depth").is_visible()
    box, photo = regions.bounding_box(), page.locator("#photo").bounding_box()
    assert box and photo and abs(box["width"] - photo["width"]) < 2  # laid over the photo
    browser.shoot(page, "image-overlays")
    page.locator("#overlays input[value=regions]").uncheck()
    assert regions.is_hidden() and page.locator("#region-legend").is_hidden()


def test_describe_an_upload(page: Any, browser: Browser, live: LiveServer) -> None:
    before = live.get("/health")["images"]
    page.goto("/ui/describe")
    page.locator("#file").set_input_files(_photo())
    page.get_by_label("Template").select_option("alt")
    page.get_by_role("button", name="Describe").click()
    page.wait_for_selector("#describe-out[data-state=done]")
    text = page.locator("#describe-out").inner_text()
    assert text.strip() and len(text.strip()) <= 125
    page.get_by_role("button", name="Copy").click()
    page.wait_for_function("document.querySelector('#copy-status').textContent !== ''")
    browser.shoot(page, "describe")
    assert live.get("/health")["images"] == before  # nothing stored


def test_map_click_opens_the_image(page: Any, browser: Browser) -> None:
    page.goto("/ui/map")
    page.wait_for_selector("#map[data-state=done]")
    browser.shoot(page, "map")
    # the map refits on resize: wait until the canvas matches its box again
    page.wait_for_function(
        "(() => { const c = document.getElementById('map');"
        " return c.width === Math.round(c.getBoundingClientRect().width * devicePixelRatio); })()"
    )
    image_id = page.evaluate("window.picsiftMap.ids()[0]")
    x, y = page.evaluate(f"window.picsiftMap.screenOf({image_id})")
    page.locator("#map").click(position={"x": x, "y": y})
    page.wait_for_url(f"**/ui/images/{image_id}")


def test_keyboard_only_search_flow(page: Any) -> None:
    page.goto("/ui")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content" and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto("/ui")
    for _ in range(4):  # skip link, brand, Library, Search
        page.keyboard.press("Tab")
    assert page.locator(":focus").inner_text() == "Search"
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/search")
    assert page.evaluate("document.activeElement.id") == "q"  # the box has focus
    page.keyboard.type("red", delay=30)
    page.wait_for_selector("#results[data-state=done] li")
    # Tab on through the form to the first result: every stop is visible and focusable.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#results') !== null"):
            break
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href and href.startswith("/ui/images/")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")


def test_keyboard_on_the_map(page: Any) -> None:
    page.goto("/ui/map")
    page.wait_for_selector("#map[data-state=done]")
    page.locator("#map").focus()
    page.keyboard.press("n")
    assert "press Enter to open it" in page.locator("#map-status").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/images/*")


needs_exiftool = pytest.mark.skipif(
    shutil.which("exiftool") is None,
    reason="marking variants needs exiftool (.ci/run installs libimage-exiftool-perl)",
)


@needs_exiftool
def test_edit_from_the_image_page_then_before_and_after(
    page: Any, browser: Browser, live: LiveServer
) -> None:
    page.goto("/ui/images/3")
    page.get_by_text("Edit with AI…").click()
    page.get_by_label("What to change").fill("at night")
    page.get_by_role("button", name="Edit", exact=True).click()
    page.wait_for_url("**/ui/edits/**")
    page.wait_for_selector("#job[data-state=done]", timeout=120_000)
    pair = page.locator("#pairs .compare").first
    assert pair.locator("img").count() == 2 and pair.locator("input[type=range]").count() == 1
    browser.shoot(page, "edit-job")
    variant = live.get("/images/3/variants")["variants"][0]["id"]
    pair.locator("figcaption a").click()
    page.wait_for_url(f"**/ui/images/{variant}")
    assert page.locator("h1 .badge").inner_text() == "Made with AI"
    after = page.locator(".ai-made .compare-after")
    before_clip = after.evaluate("e => getComputedStyle(e).clipPath")
    page.locator(".ai-made input[type=range]").fill("80")
    assert after.evaluate("e => getComputedStyle(e).clipPath") != before_clip
    browser.shoot(page, "variant")
    page.goto("/ui/images/3")
    assert page.locator(f"#variants a[href='/ui/images/{variant}']").count() == 1


@needs_exiftool
def test_a_series_over_a_category_shows_a_grid_of_pairs(page: Any, live: LiveServer) -> None:
    smallest = min(live.get("/categories")["categories"], key=lambda c: c["size"])
    page.goto(f"/ui/categories/{smallest['id']}")
    page.get_by_text("Edit every photo with AI…").click()
    page.get_by_label("What to change").fill("in winter")
    page.get_by_role("button", name="Edit", exact=True).click()
    page.wait_for_url("**/ui/edits/**")
    page.wait_for_selector("#job[data-state=done]", timeout=180_000)
    assert page.locator("#pairs .compare").count() == smallest["size"]
