"""The report as a browser draws it: headless Chromium lays out the figure and tables.

Skipped, with the reason, when Chromium is not installed (Debian package `chromium`).
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import pytest

from probation_pipeline.publish.data_files import published_frames
from probation_pipeline.publish.report import render_report
from probation_pipeline_tests.publish.browser import CHROMIUM, CHROMIUM_FLAGS
from probation_pipeline_tests.publish.conftest import make_bundle

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (apt-get install -y chromium); report not rendered",
)

# Test-only probe, appended to a copy of the report: the published report has no script at all.
_PROBE = """<script>
const boxes = [...document.querySelectorAll("svg, table")].map((element) => {
  const box = element.getBoundingClientRect();
  return {
    tag: element.tagName.toLowerCase(),
    width: box.width,
    height: box.height,
    collapsed: element.closest("details:not([open])") !== null,
  };
});
const out = document.createElement("pre");
out.id = "layout-probe";
out.textContent = JSON.stringify(boxes);
document.body.appendChild(out);
</script>"""


def _chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = make_bundle()
    html = render_report(bundle, published_frames(bundle), "2017-10-abcdef012345")
    folder = tmp_path_factory.mktemp("report")
    (folder / "report.html").write_text(html, encoding="utf-8")
    return folder / "report.html"


def test_figure_and_tables_are_laid_out_with_size(report_path: Path, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    html = report_path.read_text(encoding="utf-8")
    probed.write_text(html.replace("</body>", f"{_PROBE}\n</body>"), encoding="utf-8")
    dom = _chromium(tmp_path / "profile", "--dump-dom", probed.as_uri()).stdout
    start = dom.index('<pre id="layout-probe">') + len('<pre id="layout-probe">')
    boxes = json.loads(dom[start : dom.index("</pre>", start)].replace("&quot;", '"'))
    # The assessment figure and the ratings figure, each drawn wide and narrow; the wide drawings
    # are shown at this desktop width, the narrow ones are not laid out.
    svgs = [box for box in boxes if box["tag"] == "svg" and box["width"] > 0]
    tables = [box for box in boxes if box["tag"] == "table"]
    assert len([box for box in boxes if box["tag"] == "svg"]) == 4
    assert len(svgs) == 2
    assert all(box["width"] > 300 and box["height"] > 150 for box in svgs), svgs
    assert len(tables) == 11
    # The chart-data table sits in a closed <details>; whether a browser sizes it is its business.
    shown = [box for box in tables if not box["collapsed"]]
    assert len(shown) == 10
    assert all(box["width"] > 100 and box["height"] > 50 for box in shown), shown


def test_screenshot_has_the_page_size(report_path: Path, tmp_path: Path) -> None:
    # Screenshots go to pytest's temporary folder, never into the repository.
    screenshot = tmp_path / "report.png"
    _chromium(
        tmp_path / "profile",
        "--window-size=1200,2400",
        f"--screenshot={screenshot}",
        report_path.as_uri(),
    )
    header = screenshot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (1200, 2400)
