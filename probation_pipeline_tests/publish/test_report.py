"""report.html: self-contained, accessible, escaped, complete."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest

from probation_pipeline.publish.bundle import PublicationBundle
from probation_pipeline.publish.data_files import published_frames
from probation_pipeline.publish.report import DOWNLOADS, render_report, table_span
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
    bundle = bundle or make_bundle()
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
    # Two figures, each drawn wide and narrow (the narrow drawing shown on small screens).
    assert collector.tags.get("svg") == 4 and collector.tags.get("figure") == 2
    assert html.count('class="chart-wide"') == 2 and html.count('class="chart-narrow"') == 2
    assert 'aria-label="Quality and sufficiency of assessment: CRC vs NPS cases"' in html
    # The ratings chart draws the band boundaries given in the bundle.
    assert "Outstanding ≥80%" in html and "Good ≥65%" in html


def test_no_external_requests(parsed: tuple[str, _Collector]) -> None:
    html, collector = parsed
    # Only in-page anchors (#...) and the publication's own files beside the report may be
    # referenced; SVG namespaces are identifiers, not requests.
    beside = {name for name, _ in DOWNLOADS}
    assert [url for url in collector.urls if not url.startswith("#") and url not in beside] == []
    assert beside <= set(collector.urls)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert re.findall(r"url\((?!#)", html) == []


def test_every_table_has_a_caption_and_scoped_headers(parsed: tuple[str, _Collector]) -> None:
    html, collector = parsed
    # 7 bulletin tables, chart data, significance, ratings, row accounting.
    assert collector.tags["table"] == 11
    # Each table scrolls sideways inside its own focusable container, never the page.
    assert html.count('<div class="table-wrap" role="region"') == 11
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
    # Significance: each question's selected variables, R squared to 3 decimal places.
    assert (
        '<th scope="row">Table 1: Barriers to engagement</th><td class="num">700</td>'
        '<td class="num">0.050</td><td>Provider</td>'
    ) in html
    # Ratings: overall rows only, with n and interval (fixture CRC overall 52.0%, 39.0 to 64.0),
    # area names from the reference data, national rows labelled, Yes/No for flags.
    assert (
        '<th scope="row">Cumbria</th><td>CRC</td><td class="num">50</td><td class="num">26</td>'
        '<td class="num">52.0</td><td class="num">39.0</td><td class="num">64.0</td>'
        "<td>Requires improvement</td><td>Yes</td>"
    ) in html
    assert '<th scope="row">London</th><td>NPS</td>' in html
    assert '<th scope="row">All areas (national)</th><td>CRC</td>' in html
    for code in ("keeping_safe", "provider=NPS", ">True<", ">False<", ">national<"):
        assert code not in html
    # Method notes and row accounting.
    assert "Quarantined: Conflicting duplicate" in html
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
    assert "<td>Provider, OGRS band, Ethnic group</td>" in html
    assert "significant by provider, OGRS band and ethnic group for all 7 questions." in html


def test_release_metadata_and_main_points_come_from_config_and_data() -> None:
    html = _render()
    assert "<dt>Released</dt><dd>29 March 2018</dd>" in html
    assert (
        "<dt>Statistical status</dt><dd>Research and analysis (not official statistics)</dd>"
        in html
    )
    assert "<dt>Produced by</dt><dd>HM Inspectorate of Probation</dd>" in html
    # Fixture, all cases: barriers CRC 55.0%, NPS 66.7%; the widest gap is desistance_pre.
    assert "NPS cases were judged sufficient more often than CRC cases on 7 of 7 questions" in html
    assert "Barriers to engagement +11.7" in html


def test_synthetic_inputs_carry_a_notice_and_real_ones_do_not() -> None:
    bundle = make_bundle()
    assert "Synthetic data:" not in _render(bundle)
    flagged = _render(dataclasses.replace(bundle, synthetic=True))
    assert '<p class="notice" role="note">Synthetic data: These figures are computed' in flagged


def test_quarantine_rules_are_sentences() -> None:
    bundle = make_bundle()
    accounts = dataclasses.replace(
        bundle.row_accounting,
        quarantined_by_reason={
            "mappa_eligible_only_nps": 3,
            "age_at_least_18; crc_never_high_rosh": 2,
        },
    )
    html = _render(dataclasses.replace(bundle, row_accounting=accounts))
    assert "Quarantined: MAPPA-eligible case supervised by a CRC" in html
    assert "Quarantined: Age under 18; CRC case with a High or Very high RoSH level" in html
    assert "mappa_eligible_only_nps" not in html


def test_tables_are_named_by_the_numbers_of_the_questions(parsed: tuple[str, _Collector]) -> None:
    html, _ = parsed
    assert "Tables 1 to 7: judgements by provider and subgroup" in html
    assert "Tables 1 to 7, ratings and models (Excel spreadsheet)" in html
    questions = make_bundle().questions
    assert table_span(questions.head(1)) == "Table 1"
    assert table_span(questions.iloc[[2, 0, 1]]) == "Tables 1 to 3"
