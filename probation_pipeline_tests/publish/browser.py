"""The report as a reader's browser shows it: Debian's Chromium driven by playwright, plus axe-core.

Skips (with the reason) where Chromium or playwright is missing; `make test` installs both (the
`browser` target and the dev extras). Playwright's own browser download is never used.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Any attempt to reach the network fails instead of waiting.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]

# Effective size of each visible chart text: its font size in SVG user units times the scale from
# those units to screen pixels (the SVG is scaled down to fit its container).
_CHART_TEXT = """() => [...document.querySelectorAll("figure svg text")]
  .filter((text) => text.getClientRects().length > 0 && text.textContent.trim())
  .map((text) => {
    const m = text.getScreenCTM();
    const size = parseFloat(getComputedStyle(text).fontSize);
    return {text: text.textContent.trim(), px: size * Math.hypot(m.a, m.b)};
  })"""
_OVERFLOW = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  viewport: window.innerWidth,
  charts: [...document.querySelectorAll("figure svg")]
    .filter((svg) => svg.getClientRects().length > 0)
    .map((svg) => svg.getBoundingClientRect().width),
})"""


@dataclass(frozen=True)
class Rendering:
    width: int
    scroll_width: int
    chart_widths: list[float]
    chart_text: list[dict[str, object]]
    violations: list[dict[str, object]]


def require_browser() -> None:
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed (apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright not installed (dev extras)")


def render(report: Path, widths: tuple[int, ...], scan: bool = True) -> list[Rendering]:
    """Open `report` at each viewport width; measure overflow and chart text; run axe-core."""
    require_browser()
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    renderings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            for width in widths:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(report.as_uri())
                layout = page.evaluate(_OVERFLOW)
                violations = []
                if scan:
                    results = Axe().run(page)
                    violations = [
                        {"id": item["id"], "impact": item["impact"], "nodes": len(item["nodes"])}
                        for item in results.response["violations"]
                    ]
                renderings.append(
                    Rendering(
                        width=width,
                        scroll_width=int(layout["scrollWidth"]),
                        chart_widths=list(layout["charts"]),
                        chart_text=page.evaluate(_CHART_TEXT),
                        violations=violations,
                    )
                )
                page.close()
        finally:
            browser.close()
    return renderings


def assert_readable(renderings: list[Rendering]) -> None:
    """No horizontal page overflow, charts shown, no chart text under 10 px, axe clean."""
    for rendering in renderings:
        assert rendering.scroll_width <= rendering.width, rendering
        assert rendering.chart_widths and all(w > 200 for w in rendering.chart_widths), rendering
        small = [item for item in rendering.chart_text if float(item["px"]) < 10]  # type: ignore[arg-type]
        assert rendering.chart_text and not small, (rendering.width, small[:5])
        serious = [v for v in rendering.violations if v["impact"] in ("serious", "critical")]
        assert not serious, (rendering.width, serious)
