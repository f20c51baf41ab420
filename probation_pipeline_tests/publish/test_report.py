"""report.html: self-contained, accessible, escaped, complete."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest

from probation_pipeline.publish.bundle import PublicationBundle
from probation_pipeline.publish.data_files import published_frames
from probation_pipeline.publish.report import render_report
from probation_pipeline_tests.publish.conftest import make_bundle


class _Collector(HTMLParser):
    """Counts tags, captions and header scopes; records URL-bearing attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.captions: list[str] = []
        self.scopes: list[str | None] = []
        self.urls: list[str] = []
        self._in_caption = False
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "th":
            self.scopes.append(attributes.get("scope"))
        if tag == "caption":
            self._in_caption = True
            self.captions.append("")
        for name in ("src", "href", "xlink:href", "action", "data"):
            if attributes.get(name):
                self.urls.append(str(attributes[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.captions[-1] += data


def _render(bundle: PublicationBundle | None = None) -> str:
    bundle = bundle or dataclasses.replace(make_bundle(), area_names={"cumbria": "Cumbria"})
    return render_report(bundle, published_frames(bundle), "2017-10-abcdef012345")


@pytest.fixture(scope="module")
def parsed() -> tuple[str, _Collector]:
    html = _render()
    collector = _Collector()
    collector.feed(html)
    return html, collector


def test_document_is_english_with_two_inline_charts(parsed: tuple[str, _Collector]) -> None:
    html, collector = parsed
    assert html.startswith("<!DOCTYPE html>")
    assert collector.html_lang == "en"
    assert collector.tags.get("svg") == 2 and collector.tags.get("figure") == 2
    assert 'aria-label="Quality and sufficiency of assessment: CRC vs NPS cases"' in html
    # The ratings chart draws the band boundaries given in the bundle.
    assert "Outstanding ≥80%" in html and "Good ≥65%" in html


def test_no_external_requests(parsed: tuple[str, _Collector]) -> None:
    html, collector = parsed
    # Only in-page anchors (#...) may be referenced; SVG namespaces are identifiers, not requests.
    assert [url for url in collector.urls if not url.startswith("#")] == []
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert re.findall(r"url\((?!#)", html) == []


def test_every_table_has_a_caption_and_scoped_headers(parsed: tuple[str, _Collector]) -> None:
    html, collector = parsed
    # 7 bulletin tables, chart data, significance, ratings, row accounting.
    assert collector.tags["table"] == 11
    # Bulletin tables: the renderer's `variable` key column is dropped, headings capitalised.
    assert '<th scope="col">Group</th><th scope="col">Level</th>' in html
    assert ">variable<" not in html
    assert len(collector.captions) == 11 and all(caption.strip() for caption in collector.captions)
    assert collector.scopes and set(collector.scopes) <= {"col", "row"}
    assert any(
        caption == "Table 5: Was the assessment of the risk of harm to the public sufficient?"
        for caption in collector.captions
    )


def test_headline_significance_ratings_and_notes_are_shown(
    parsed: tuple[str, _Collector],
) -> None:
    html, _ = parsed
    # Headline: 672 of 1,066 cases are CRC = 63.04% -> 63%.
    assert '<span class="value">1,066</span>Cases inspected' in html
    assert "Supervised by a CRC (63%)" in html
    # Significance: each question's selected variables.
    assert "Table 1: Barriers to engagement</th><td" in html
    # Ratings: overall rows only, with n and interval (fixture CRC overall 52.0%, 39.0 to 64.0),
    # area names where given, national rows labelled.
    assert (
        '<th scope="row">Cumbria</th><td>CRC</td><td>Requires improvement</td>'
        '<td class="num">50</td><td class="num">52.0</td><td>39.0 to 64.0</td><td>Yes</td>'
    ) in html
    assert '<th scope="row">london</th><td>NPS</td>' in html
    assert '<th scope="row">National</th><td>CRC</td>' in html
    assert "keeping_safe" not in html
    # Method notes and row accounting.
    assert "Quarantined: conflicting duplicate" in html
    assert "[z]</dt><dd>Not applicable" in html


def test_text_from_the_bundle_is_escaped() -> None:
    bundle = make_bundle()
    questions = bundle.questions.copy()
    questions.loc[0, "wording"] = "Was <script>alert(1)</script> & more sufficient?"
    html = _render(dataclasses.replace(bundle, questions=questions))
    assert "<script>" not in html
    assert "Was &lt;script&gt;alert(1)&lt;/script&gt; &amp; more sufficient?" in html


def test_report_is_deterministic() -> None:
    assert _render() == _render()


def test_mappa_share_is_of_the_cases_with_known_status() -> None:
    bundle = make_bundle()
    plain = _render(bundle)
    assert "MAPPA-eligible (25%)" in plain  # 271 of all 1,066 cases
    known = dataclasses.replace(
        bundle, headline=dataclasses.replace(bundle.headline, mappa_known_cases=1046)
    )
    assert "MAPPA-eligible (26% of the 1,046 cases with known status)" in _render(known)


def test_selected_variables_are_named_for_readers() -> None:
    html = _render(make_bundle(selected=("provider", "ogrs_band", "ethnic_group")))
    assert "<td>provider, OGRS band, ethnic group</td>" in html
