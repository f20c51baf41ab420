"""The report in Chromium at a phone's and a desktop's width: fits, readable charts, axe-clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from probation_pipeline.publish.data_files import published_frames
from probation_pipeline.publish.report import render_report
from probation_pipeline_tests.publish.browser import assert_readable, render
from probation_pipeline_tests.publish.conftest import make_bundle

WIDTHS = (320, 400, 1280)


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = make_bundle()
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(
        render_report(bundle, published_frames(bundle), "2017-10-abcdef012345"), encoding="utf-8"
    )
    return path


def test_report_fits_and_charts_stay_readable_at_every_width(report_path: Path) -> None:
    renderings = render(report_path, WIDTHS)
    assert_readable(renderings)
    by_width = {rendering.width: rendering for rendering in renderings}
    # The narrow drawings are shown on a phone, the wide ones on a desktop.
    assert max(by_width[400].chart_widths) < 400 < min(by_width[1280].chart_widths)


def test_the_measure_catches_small_text_and_overflow(report_path: Path, tmp_path: Path) -> None:
    # The same page with the narrow drawings hidden and a fixed-width table: the check must fail.
    html = report_path.read_text(encoding="utf-8").replace(
        "</style>",
        "svg.chart-narrow{display:none!important} svg.chart-wide{display:block!important}"
        " .table-wrap{overflow:visible} table{min-width:900px}</style>",
    )
    broken = tmp_path / "broken.html"
    broken.write_text(html, encoding="utf-8")
    (rendering,) = render(broken, (400,), scan=False)
    assert rendering.scroll_width > 400
    assert min(float(item["px"]) for item in rendering.chart_text) < 10
