"""The sections of `report.html`, each a function of the bundle returning escaped HTML."""

from __future__ import annotations

from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal
from html import escape

import pandas as pd

from probation_pipeline.publish.bundle import PublicationBundle, layout_for_display
from probation_pipeline.publish.charts import (
    ASSESSMENT_FIGURE_TITLE,
    RATINGS_FIGURE_TITLE,
    assessment_by_provider_data,
    assessment_by_provider_svg,
    ratings_intervals_svg,
)
from probation_pipeline.publish.main_points import main_points
from probation_pipeline.publish.readable import cell_text, labelled_frame, reader_frame
from probation_pipeline.publish.report_html import html_table, leading_label_columns
from probation_pipeline.publish.sheets import numbers_as_numbers

HEADLINE_LABELS: dict[str, str] = {
    "total_cases": "Cases inspected",
    "crc_cases": "Supervised by a CRC",
    "nps_cases": "Supervised by the NPS",
    "female_cases": "Female",
    "post_custody_cases": "Post-custody (licence)",
    "rosh_high_or_very_high_cases": "High or Very high risk of serious harm",
    "mappa_eligible_cases": "MAPPA-eligible",
}


def _svg_class(svg: str, css: str) -> str:
    return svg.replace("<svg ", f'<svg class="{css}" ', 1)


def _percent(part: int, total: int) -> str:
    """Whole-number percentage, rounded half-up as the bulletin does."""
    share = Decimal(100 * part) / Decimal(total)
    return str(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def main_points_section(bundle: PublicationBundle, published: dict[str, pd.DataFrame]) -> str:
    points = main_points(
        bundle.judgement_tables,
        published["model_summaries"],
        published["ratings"],
        bundle.questions,
        bundle.spec,
    )
    return "<ul>\n" + "\n".join(f"<li>{escape(point)}</li>" for point in points) + "\n</ul>"


def headline_section(bundle: PublicationBundle) -> str:
    counts = asdict(bundle.headline)
    total = counts["total_cases"]
    known = counts.pop("mappa_known_cases")
    items = []
    for field_name, value in counts.items():
        label = HEADLINE_LABELS.get(field_name, field_name.replace("_", " "))
        share = "" if field_name == "total_cases" or not total else f" ({_percent(value, total)}%)"
        if field_name == "mappa_eligible_cases" and known:
            share = f" ({_percent(value, known)}% of the {known:,} cases with known status)"
        items.append(f'<li><span class="value">{value:,}</span>{escape(label)}{escape(share)}</li>')
    return '<ul class="headline">\n' + "\n".join(items) + "\n</ul>"


def figure_section(bundle: PublicationBundle) -> str:
    data = assessment_by_provider_data(bundle.judgement_tables, bundle.questions)
    wide = _svg_class(assessment_by_provider_svg(data), "chart-wide")
    narrow = _svg_class(assessment_by_provider_svg(data, narrow=True), "chart-narrow")
    pivot = data.pivot(index="short_label", columns="provider", values="pct_display")
    pivot = pivot.reindex(list(dict.fromkeys(data["short_label"])))
    rows = [[label, *(str(pivot.at[label, p]) for p in pivot.columns)] for label in pivot.index]
    table = html_table(
        caption="Data for the chart: percentage of cases judged sufficient (% yes), all cases",
        headers=["Question", *(f"{p} % yes" for p in pivot.columns)],
        rows=rows,
        row_headers=1,
    )
    return (
        f"<figure>\n{wide}\n{narrow}\n<figcaption>{escape(ASSESSMENT_FIGURE_TITLE)}: percentage "
        "of cases judged sufficient on each question, all cases, by provider.</figcaption>\n"
        f"</figure>\n<details>\n<summary>Show the data for this chart</summary>\n{table}\n</details>"
    )


def tables_section(bundle: PublicationBundle) -> str:
    parts = []
    for question in bundle.questions.itertuples(index=False):
        layout = numbers_as_numbers(
            layout_for_display(bundle.bulletin_layouts[str(question.question_id)])
        )
        headers = [str(column) for column in layout.columns]
        rows = [
            [
                cell_text(value, "0.0" if "%" in heading else "#,##0")
                for heading, value in zip(headers, row, strict=True)
            ]
            for row in layout.itertuples(index=False)
        ]
        parts.append(
            html_table(
                caption=f"Table {question.table}: {question.wording}",
                headers=headers,
                rows=rows,
                row_headers=leading_label_columns(rows),
            )
        )
    return "\n".join(parts)


def _reader_rows(stem: str, published: dict[str, pd.DataFrame], bundle: PublicationBundle):
    reader = reader_frame(stem, labelled_frame(stem, published[stem], bundle.spec), bundle.spec)
    headers = [str(column) for column in reader.frame.columns]
    rows = [
        [
            cell_text(value, reader.formats.get(heading))
            for heading, value in zip(headers, row, strict=True)
        ]
        for row in reader.frame.itertuples(index=False)
    ]
    return headers, rows


def significance_section(bundle: PublicationBundle, published: dict[str, pd.DataFrame]) -> str:
    spec = bundle.spec
    headers, rows = _reader_rows("model_summaries", published, bundle)
    # The question's short label reads better in a narrow table than its full wording.
    short = dict(zip(bundle.questions["wording"], bundle.questions["short_label"], strict=True))
    table_of = dict(zip(bundle.questions["wording"], bundle.questions["table"], strict=True))
    for row in rows:
        if row[0] in short:
            row[0] = f"Table {table_of[row[0]]}: {short[row[0]]}"
    return (
        "<p>Forward stepwise logistic regression per question (entry p &lt; "
        f"{spec.entry_p:g}, removal p &gt; {spec.removal_p:.2f}); the variables selected are "
        "those whose differences are statistically significant once the others are allowed "
        "for.</p>\n"
        + html_table(
            caption="Variables selected by the model for each question",
            headers=headers,
            rows=rows,
            row_headers=1,
        )
    )


def ratings_section(bundle: PublicationBundle, published: dict[str, pd.DataFrame]) -> str:
    ratings = published["ratings"]
    overall_only = "key_area" in ratings.columns and (ratings["key_area"] == "overall").any()
    shown = ratings[ratings["key_area"] == "overall"] if overall_only else ratings
    note = (
        "Overall rating of each area and provider, driven by its lowest key-area score."
        if overall_only
        else "All key areas are shown."
    )
    headers, rows = _reader_rows("ratings", {"ratings": shown}, bundle)
    drop = {"Scope", "Key area"} if overall_only else {"Scope"}
    keep = [index for index, heading in enumerate(headers) if heading not in drop]
    headers = [headers[index] for index in keep]
    rows = [[row[index] for index in keep] for row in rows]
    return (
        f"<p>{escape(note)}</p>\n"
        + ratings_figure(shown, bundle)
        + html_table(
            caption="Ratings by area and provider, with 95% intervals",
            headers=headers,
            rows=rows,
            row_headers=1,
        )
    )


def ratings_figure(overall: pd.DataFrame, bundle: PublicationBundle) -> str:
    """The overall scores as a dot-and-interval chart; empty when there is nothing to draw."""
    needed = {"pct", "ci_lower", "ci_upper", "key_area"}
    if not needed <= set(overall.columns) or not (overall["key_area"] == "overall").any():
        return ""
    scored = overall[~overall["pct"].isna() & ~overall["ci_lower"].isna()].copy()
    if scored.empty:
        return ""
    national = bundle.spec.national_area
    scored["area_label"] = [
        national if pd.isna(area) else bundle.spec.area_names.get(str(area), str(area))
        for area in scored["area"]
    ]
    # The national score first, then the areas in the order the ratings came.
    labels = sorted(dict.fromkeys(scored["area_label"]), key=lambda label: label != national)
    floors = [(str(band["rating"]), 100 * float(band["min_share"])) for band in bundle.rating_bands]
    wide = _svg_class(ratings_intervals_svg(scored, floors, labels), "chart-wide")
    narrow = _svg_class(ratings_intervals_svg(scored, floors, labels, narrow=True), "chart-narrow")
    boundaries = ", ".join(f"{rating} from {floor:g}%" for rating, floor in floors if floor > 0)
    return (
        f"<figure>\n{wide}\n{narrow}\n<figcaption>{escape(RATINGS_FIGURE_TITLE)}. Each dot is the "
        "share of cases sufficient in the provider's lowest key area; the line is its 95% "
        f"interval; dashed lines are the rating band boundaries ({escape(boundaries)}). The table "
        "below gives the same figures.</figcaption>\n</figure>\n"
    )


def method_section(bundle: PublicationBundle) -> str:
    method = "\n".join(f"<li>{escape(item)}</li>" for item in bundle.spec.method)
    shorthand = "\n".join(
        f"<dt>{escape(code)}</dt><dd>{escape(meaning)}</dd>"
        for code, meaning in bundle.disclosure_notes.items()
    )
    notes = "\n".join(f"<li>{escape(text)}</li>" for text in bundle.spec.notes.values())
    accounts = bundle.row_accounting
    account_rows = [
        ["Rows in the extract files", f"{accounts.raw_rows:,}"],
        ["Kept (analysis dataset)", f"{accounts.kept:,}"],
        ["Superseded by a later inspection of the same area", f"{accounts.superseded:,}"],
        ["Exact duplicate rows counted once", f"{accounts.exact_duplicates:,}"],
        *(
            [f"Quarantined: {bundle.spec.reason_text(reason)}", f"{count:,}"]
            for reason, count in sorted(accounts.quarantined_by_reason.items())
        ),
    ]
    return (
        f"<h3>Method</h3>\n<ul>\n{method}\n</ul>\n"
        f"<h3>Notes</h3>\n<ul>\n{notes}\n</ul>\n"
        f"<h3>Shorthand in tables</h3>\n<dl>\n{shorthand}\n</dl>\n"
        "<h3>Data</h3>\n"
        f"<p>Computed from {len(bundle.inputs):,} inspection extract file(s); their SHA-256 "
        "digests are in manifest.json. No case-level data is published.</p>\n"
        + html_table(
            caption="Row accounting: where every row of the extract files went",
            headers=["Rows", "Count"],
            rows=account_rows,
            row_headers=1,
        )
    )
