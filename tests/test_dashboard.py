"""The web app at ``/dashboard/``, end to end: headless system Chromium driven by Playwright
against a real ``bench serve`` (embedded broker and workers) and runs submitted over HTTP.

Screenshots of each page go to a temporary directory, or into ``docs/screenshots/`` with
``BENCH_UPDATE_SCREENSHOTS=1``. The browser is the system one (``/usr/bin/chromium``): nothing
is downloaded at test time, and a machine without it fails here with how to install it.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fixtures import API, KEY_A, Served, serve
from conftest import ROOT
from playwright.sync_api import Browser, Locator, Page, Playwright, expect, sync_playwright

from bench_common.store import open_store

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
HEADERS = {"X-API-Key": KEY_A}
SEED_WORKLOADS = ["bell_state", "ghz_5q", "ghz_10q", "ghz_50q", "ghz_100q", "depth_stress"]
SMALL_WORKLOADS = ["bell_state", "ghz_5q", "ghz_10q", "ghz_50q"]
WAIT_MS = 120_000
"""How long a page may take to show a run finishing (the runs execute for real)."""
pytestmark = pytest.mark.slow


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("dashboard"))


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need the system Chromium at {CHROMIUM}; install it with "
            "`apt-get install -y chromium` (Debian/Ubuntu). Playwright's own browser "
            "download is not used."
        )
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (no storage, no cache) that records every URL it requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.requested = []  # type: ignore[attr-defined]
    tab.on("request", lambda request: tab.requested.append(request.url))  # type: ignore[attr-defined]
    tab.errors = []  # type: ignore[attr-defined]
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))  # type: ignore[attr-defined]
    yield tab
    context.close()
    assert tab.errors == [], tab.errors  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("BENCH_UPDATE_SCREENSHOTS") == "1":
        directory = ROOT / "docs" / "screenshots"
        directory.mkdir(parents=True, exist_ok=True)
        return directory
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def finished(server: Served) -> dict[str, str]:
    """A completed run on the simulator (the six seed workloads) and one on ibm_brisbane."""
    ids = {
        "simulator": submit(server, "simulator", SEED_WORKLOADS),
        "ibm_brisbane": submit(server, "ibm_brisbane", SMALL_WORKLOADS),
    }
    for benchmark_id in ids.values():
        wait_finished(server, benchmark_id)
    return ids


# --- helpers ----------------------------------------------------------------------------------


def submit(server: Served, backend_id: str, workloads: list[str], shots: int = 1000) -> str:
    body = {"backend_id": backend_id, "workloads": workloads, "shots": shots}
    answer = server.post(f"{API}/run", json=body, headers=HEADERS)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["benchmark_id"])


def wait_finished(server: Served, benchmark_id: str, timeout: float = WAIT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = server.get(f"{API}/report/{benchmark_id}", headers=HEADERS)
        if answer.status_code == 200:
            return
        assert answer.status_code == 202, answer.text
        time.sleep(0.5)
    raise AssertionError(f"run {benchmark_id} did not finish:\n{server.output()}")


def open_app(page: Page, server: Served, route: str = "") -> None:
    """Load the app, sign in with the tenant's key, then go to ``route`` (a ``#/…`` hash)."""
    page.goto(f"{server.url}/dashboard/")
    page.get_by_label("API key").fill(KEY_A)
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator("#nav")).to_be_visible()
    if route:
        page.evaluate("route => { location.hash = route; }", route)


AXIS_TITLES = """id => Object.values(Chart.getChart(document.getElementById(id)).options.scales)
    .map(scale => scale.title.display ? scale.title.text : null)"""


def chart(page: Page, chart_id: str) -> Locator:
    """The chart's canvas once drawn, checked for what every chart must have: an image role
    with an aria-label, axis titles with their units, a caption and a table of the numbers."""
    canvas = page.locator(f"canvas#{chart_id}")
    expect(canvas).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
    expect(canvas).to_have_attribute("role", "img")
    assert canvas.get_attribute("aria-label")
    titles = page.evaluate(AXIS_TITLES, chart_id)
    assert len(titles) == 2, titles
    assert all(title and ("(" in title or title in ("Workload", "Backend")) for title in titles)
    figure = page.locator("figure", has=canvas)
    assert figure.locator("figcaption").inner_text().strip()
    assert figure.locator("table.sr-only tbody tr").count() > 0, "no text alternative"
    return canvas


def shoot(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


# --- the pages --------------------------------------------------------------------------------


def test_the_app_is_served_from_the_package_without_a_key(server: Served) -> None:
    index = server.get("/dashboard/")
    assert index.status_code == 200
    assert "text/html" in index.headers["Content-Type"]
    policy = index.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    for asset in ("app.js", "api.js", "ui.js", "charts.js", "views.js", "app.css"):
        assert server.get(f"/dashboard/{asset}").status_code == 200, asset
    assert server.get("/dashboard/vendor/chart.umd.min.js").text.startswith("/*!\n * Chart.js v4")
    assert server.get("/dashboard/missing.js").status_code == 404


def test_a_wrong_key_is_refused_with_a_clear_message(page: Page, server: Served) -> None:
    page.goto(f"{server.url}/dashboard/")
    expect(page.get_by_label("API key")).to_be_focused()  # the keyboard starts in the field
    page.keyboard.type("not-a-key")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("The API key was refused")
    expect(page.locator("#nav")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0


def test_a_submitted_run_appears_on_the_runs_page_and_finishes(page: Page, server: Served) -> None:
    open_app(page, server, "#/runs")
    benchmark_id = submit(server, "simulator", ["bell_state", "ghz_5q"])
    row = page.locator("#runs tbody tr", has=page.locator(f'a[title="{benchmark_id}"]'))
    expect(row).to_have_count(1, timeout=WAIT_MS)
    expect(row.locator("td").nth(1)).to_have_text("completed", timeout=WAIT_MS)
    expect(row).to_contain_text("Simulated")
    expect(row.locator("td").nth(6)).to_have_text(re.compile(r"^[01]\.\d{4}$"))
    expect(row.locator("td").nth(7)).to_have_text("none")

    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#runs")).to_contain_text("No runs match these filters.")
    page.get_by_label("Status").select_option("")
    page.get_by_label("Created on or after (UTC)").fill("2999-01-01")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"since=2999-01-01T00%3A00%3A00Z"))
    expect(page.locator("#runs")).to_contain_text("No runs match these filters.")


def test_a_run_shows_its_figures_counts_downloads_and_valid_verification(
    page: Page, server: Served, screenshots: Path
) -> None:
    benchmark_id = submit(server, "simulator", SEED_WORKLOADS)
    open_app(page, server, f"#/run/{benchmark_id}")
    fidelity = chart(page, "fidelity-chart")
    assert "Fidelity per workload" in (fidelity.get_attribute("aria-label") or "")
    expect(page.locator("#simulated")).to_contain_text("Simulated")
    workloads = page.locator("#workloads tbody tr")
    expect(workloads).to_have_count(len(SEED_WORKLOADS))
    expect(workloads.first).to_contain_text("bell_state")

    verification = page.locator("#verification")
    expect(verification).to_contain_text("Status: valid", timeout=WAIT_MS)
    expect(verification.locator("tbody tr")).to_have_count(4)
    expect(verification.locator("tbody .badge.invalid")).to_have_count(0)

    counts = chart(page, "counts-chart")
    assert "bell_state" in (counts.get_attribute("aria-label") or "")
    bell = page.locator("figure", has=counts).locator("table.sr-only tbody tr")
    assert {bell.nth(i).locator("td").first.inner_text() for i in range(bell.count())} <= {
        "00", "01", "10", "11",
    }  # fmt: skip
    page.get_by_label("Workload", exact=True).select_option("ghz_5q")
    expect(page.locator("canvas#counts-chart")).to_have_attribute(
        "aria-label", "Most frequent outcomes of ghz_5q, circuit population"
    )
    page.get_by_label("Circuit", exact=True).select_option("parity_03")
    expect(page.locator("canvas#counts-chart")).to_have_attribute(
        "aria-label", "Most frequent outcomes of ghz_5q, circuit parity_03"
    )
    statistics = page.locator("table", has_text="Statistics of circuit parity_03")
    expect(statistics).to_contain_text("even")
    expect(statistics).to_contain_text("sha256:")

    report_link = page.get_by_role("link", name="Signed report (JSON)")
    bundle_link = page.get_by_role("link", name="Evidence bundle (JSON)")
    for link in (report_link, bundle_link):
        assert (link.get_attribute("href") or "").startswith(f"blob:{server.url}/")
    with page.expect_download() as download:
        report_link.click()
    assert download.value.suggested_filename == f"bench-report-{benchmark_id[:8]}.json"
    downloaded = json.loads(Path(download.value.path()).read_text())
    assert downloaded["id"] == benchmark_id and "integrity" in downloaded
    page.get_by_label("Workload", exact=True).select_option("bell_state")
    shoot(page, screenshots, "run")


def test_counts_too_wide_for_the_bundle_are_downloaded_on_request(
    page: Page, server: Served
) -> None:
    benchmark_id = submit(server, "simulator", ["ghz_50q"], shots=5000)
    open_app(page, server, f"#/run/{benchmark_id}")
    page.get_by_label("Circuit", exact=True).select_option("parity_00")
    load = page.get_by_role("button", name="Download the full counts")
    expect(load).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("canvas#counts-chart")).to_have_count(0)
    load.click()
    counts = chart(page, "counts-chart")
    assert "circuit parity_00" in (counts.get_attribute("aria-label") or "")
    expect(page.locator("figure", has=counts).locator("figcaption")).to_contain_text("5000 shots")


def test_the_runs_table_pages_with_next_cursor(
    page: Page, server: Served, finished: dict[str, str]
) -> None:
    open_app(page, server, "#/runs?backend_id=simulator&status=completed&limit=1")
    rows = page.locator("#runs tbody tr")
    expect(rows).to_have_count(1)
    first = rows.first.get_by_role("link").first.get_attribute("title")
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_role("link", name="First page")).to_be_visible()
    expect(rows).to_have_count(1)
    second = rows.first.get_by_role("link").first.get_attribute("title")
    assert first and second and first != second
    expect(rows.first).to_contain_text("simulator")


def test_a_queued_run_shows_its_progress_and_is_polled(
    page: Page, enqueue_only_server: Served
) -> None:
    """On a server whose broker no worker consumes, a run stays queued: the page shows
    its progress and asks again every second."""
    benchmark_id = submit(enqueue_only_server, "simulator", ["bell_state", "ghz_5q"])
    open_app(page, enqueue_only_server, f"#/run/{benchmark_id}")
    progress = page.locator("#progress")
    expect(progress).to_contain_text("0 of 2 workloads done")
    expect(progress.locator(".badge")).to_have_text("queued")
    expect(progress.locator("progress")).to_have_attribute("max", "2")
    page.wait_for_timeout(2500)
    requested: list[str] = page.requested  # type: ignore[attr-defined]
    polls = [url for url in requested if url.endswith(f"/report/{benchmark_id}")]
    assert len(polls) >= 2, polls


def test_two_backends_compared(
    page: Page, server: Served, finished: dict[str, str], screenshots: Path
) -> None:
    open_app(page, server, "#/compare")
    page.get_by_label("simulator", exact=True).check()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("alert")).to_have_text("Choose at least two backends.")
    page.get_by_label("ibm_brisbane", exact=True).check()
    page.get_by_role("button", name="Compare").click()

    canvas = chart(page, "compare-chart")
    label = canvas.get_attribute("aria-label") or ""
    assert "simulator" in label and "ibm_brisbane" in label
    numbers = page.locator("figure", has=canvas).locator("table.sr-only tbody tr")
    for backend_id in ("simulator", "ibm_brisbane"):  # the latest run of each, whichever
        assert numbers.filter(has_text=backend_id).count() >= 2, backend_id
    latest = page.locator("#comparison table:not(.sr-only) tbody tr")
    expect(latest).to_have_count(2)
    expect(latest.nth(0)).to_contain_text("simulator")
    expect(latest.nth(1)).to_contain_text("ibm_brisbane")
    expect(latest.nth(1)).to_contain_text("Simulated")
    shoot(page, screenshots, "comparison")


def test_one_backends_history(
    page: Page, server: Served, finished: dict[str, str], screenshots: Path
) -> None:
    open_app(page, server, "#/history?backend_id=simulator")
    canvas = chart(page, "history-chart")
    assert "simulator" in (canvas.get_attribute("aria-label") or "")
    rows = page.locator("figure", has=canvas).locator("table.sr-only tbody tr")
    assert rows.count() >= len(SEED_WORKLOADS)
    shoot(page, screenshots, "history")


def test_a_campaign_shows_its_ranking_and_results(
    page: Page, server: Served, screenshots: Path
) -> None:
    body = {"backend_ids": ["simulator", "ibm_brisbane"], "workloads": SMALL_WORKLOADS,
            "shots": 1000}  # fmt: skip
    answer = server.post(f"{API}/campaigns", json=body, headers=HEADERS)
    assert answer.status_code == 202, answer.text
    campaign_id = answer.json()["campaign_id"]

    open_app(page, server, "#/campaigns")
    page.get_by_role("link", name=campaign_id[:8]).click()
    expect(page.locator("#campaign")).to_contain_text("Status: completed", timeout=WAIT_MS)
    expect(page.locator("ol.ranking li")).to_have_count(2)
    chart(page, "campaign-chart")
    runs = page.locator("#campaign table:not(.sr-only) tbody tr")
    expect(runs).to_have_count(2)
    for backend_id, benchmark_id in answer.json()["benchmark_ids"].items():
        expect(runs.filter(has_text=backend_id)).to_contain_text(benchmark_id[:8])
    shoot(page, screenshots, "campaign")


def test_a_runs_validation_against_thresholds(page: Page, server: Served) -> None:
    thresholds = {"bell_state": {"min_fidelity": 0.5}, "ghz_5q": {"min_fidelity": 0.9999}}
    body = {"backend_id": "ibm_brisbane", "workloads": ["bell_state", "ghz_5q"], "shots": 1000,
            "thresholds": thresholds}  # fmt: skip
    answer = server.post(f"{API}/run", json=body, headers=HEADERS)
    assert answer.status_code == 202, answer.text
    benchmark_id = answer.json()["benchmark_id"]
    wait_finished(server, benchmark_id)

    open_app(page, server, "#/runs?backend_id=ibm_brisbane")
    row = page.locator("#runs tbody tr", has=page.locator(f'a[title="{benchmark_id}"]'))
    expect(row.locator("td").nth(7)).to_have_text("failed")
    row.get_by_role("link").first.click()
    validation = page.locator("#validation")
    expect(validation.locator("h2")).to_have_text("Validation: failed")
    checks = validation.locator("tbody tr")
    expect(checks).to_have_count(2)
    expect(checks.filter(has_text="bell_state")).to_contain_text("passed")
    expect(checks.filter(has_text="ghz_5q")).to_contain_text("failed")


def test_drift_alerts_are_listed(page: Page, server: Served, finished: dict[str, str]) -> None:
    """An alert as the finalizer stores it (tests/test_drift.py raises real ones) is shown
    with its run, value, expectation and reason."""
    store = open_store(f"sqlite:///{server.data_dir / 'bench.sqlite3'}")
    alert = {
        "id": "a1b2c3d4-0000-4000-8000-000000000001", "tenant_id": "tenant-a",
        "created_at": "2026-12-01T02:00:00.000000Z", "backend_id": "ibm_brisbane",
        "workload_id": "ghz_5q", "benchmark_id": finished["ibm_brisbane"], "metric": "fidelity",
        "value": 0.41, "expected": 0.83, "reason": "fidelity 0.4100 is below the history",
    }  # fmt: skip
    assert store.put_alert(alert)
    open_app(page, server, "#/alerts")
    row = page.locator("#view table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("ghz_5q")
    expect(row).to_contain_text("0.4100")
    row.get_by_role("link", name=finished["ibm_brisbane"][:8]).click()
    expect(page.locator("#view h1")).to_contain_text(finished["ibm_brisbane"][:8])


def test_no_page_loads_anything_from_another_origin(
    page: Page, server: Served, finished: dict[str, str], screenshots: Path
) -> None:
    routes = [
        "#/runs", f"#/run/{finished['simulator']}", "#/compare?backends=simulator,ibm_brisbane",
        "#/history?backend_id=simulator", "#/campaigns", "#/alerts",
    ]  # fmt: skip
    open_app(page, server)
    for route in routes:
        page.evaluate("route => { location.hash = route; }", route)
        page.wait_for_load_state("networkidle")
        expect(page.locator("#view h1")).to_be_visible()
    requested: list[str] = page.requested  # type: ignore[attr-defined]
    assert any(url.endswith("/dashboard/vendor/chart.umd.min.js") for url in requested)
    elsewhere = [url for url in requested if not url.startswith(f"{server.url}/")]
    assert elsewhere == [], elsewhere
    assert not any(KEY_A in url for url in requested), "the API key must never be in a URL"
    assert page.evaluate("localStorage.length") == 0

    page.evaluate("() => { location.hash = '#/runs'; }")  # every run of the module, by now
    expect(page.locator("#runs tbody tr").first).to_be_visible()
    shoot(page, screenshots, "runs")
