"""`report.html`: one self-contained, accessible page.

No external request of any kind (styles inline, chart as inline SVG, no scripts, no fonts, no
images by URL). Every piece of text from the bundle is escaped. Each table has a caption and
`<th scope>` headers; the chart has an accessible name and its data as a table beside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal
from html import escape

import pandas as pd

from probation_pipeline.publish.bundle import (
    PublicationBundle,
    layout_for_display,
    rating_label_column,
)
from probation_pipeline.publish.charts import (
    ASSESSMENT_FIGURE_TITLE,
    RATINGS_FIGURE_TITLE,
    assessment_by_provider_data,
    assessment_by_provider_svg,
    ratings_intervals_svg,
)
from probation_pipeline.publish.data_files import is_shorthand, selected_as_text
from probation_pipeline.stats.disclosure import CONFIDENTIAL
from probation_pipeline.stats.models import VARIABLE_LABELS

HEADLINE_LABELS: dict[str, str] = {
    "total_cases": "Cases inspected",
    "crc_cases": "Supervised by a CRC",
    "nps_cases": "Supervised by the NPS",
    "female_cases": "Female",
    "post_custody_cases": "Post-custody (licence)",
    "rosh_high_or_very_high_cases": "High or Very high risk of serious harm",
    "mappa_eligible_cases": "MAPPA-eligible",
}

_STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 0; line-height: 1.45; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { border-bottom: 0.5rem solid #12436d; padding-bottom: 1rem; }
h1 { font-size: 2rem; margin: 1.5rem 0 0.5rem; }
h2 { font-size: 1.5rem; margin-top: 2.5rem; border-top: 1px solid #b1b4b6; padding-top: 1rem; }
a { color: #1d70b8; }
a:focus { outline: 3px solid #fd0; background: #fd0; color: #0b0c0c; }
.skip { position: absolute; left: -999rem; }
.skip:focus { position: static; }
table { border-collapse: collapse; margin: 1rem 0 2rem; font-size: 0.95rem; }
caption { text-align: left; font-weight: bold; font-size: 1.1rem; padding-bottom: 0.5rem; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.3rem 0.75rem 0.3rem 0; text-align: left;
  vertical-align: top; }
thead th { border-bottom: 2px solid #0b0c0c; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.95rem; color: #505a5f; }
.headline { display: flex; flex-wrap: wrap; gap: 1rem; padding: 0; list-style: none; }
.headline li { border-left: 0.3rem solid #12436d; padding: 0.25rem 0.75rem; min-width: 11rem; }
.headline .value { display: block; font-size: 1.75rem; font-weight: bold; }
.meta { color: #505a5f; }
footer { border-top: 1px solid #b1b4b6; margin-top: 3rem; padding-bottom: 2rem; }
"""


def render_report(
    bundle: PublicationBundle, published: dict[str, pd.DataFrame], pub_id: str
) -> str:
    """The complete HTML document as a string (UTF-8 text, `\\n` line ends, deterministic).

    `published` is `data_files.published_frames(bundle)`; the report shows the same (withheld)
    numbers as the data files.
    """
    sections = [
        ("headline", "Headline numbers", _headline_section(bundle)),
        ("figure", ASSESSMENT_FIGURE_TITLE, _figure_section(bundle)),
        ("tables", "Tables 1 to 7: judgements by provider and subgroup", _tables_section(bundle)),
        ("significance", "Significant differences per question", _significance_section(bundle)),
        ("ratings", "Ratings by area", _ratings_section(published["ratings"], bundle)),
        ("method", "Method and data notes", _method_section(bundle)),
    ]
    contents = "\n".join(
        f'<li><a href="#{anchor}">{escape(heading)}</a></li>' for anchor, heading, _ in sections
    )
    body = "\n".join(
        f'<section id="{anchor}" aria-labelledby="{anchor}-heading">\n'
        f'<h2 id="{anchor}-heading">{escape(heading)}</h2>\n{content}\n</section>'
        for anchor, heading, content in sections
    )
    text = bundle.text
    month = bundle.latest_fieldwork.strftime("%B %Y")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(text.title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header>
<h1>{escape(text.title)}</h1>
<p>{escape(text.subtitle)}</p>
<p class="meta">Publication {escape(pub_id)}. Latest fieldwork: {escape(month)}.</p>
</header>
<main id="main">
<nav aria-label="Contents">
<h2>Contents</h2>
<ol>
{contents}
</ol>
</nav>
{body}
</main>
<footer>
<p>Source: {escape(text.source)}.</p>
<p>Contact: {escape(text.contact)}.</p>
</footer>
</body>
</html>
"""


def _headline_section(bundle: PublicationBundle) -> str:
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


def _figure_section(bundle: PublicationBundle) -> str:
    data = assessment_by_provider_data(bundle.judgement_tables, bundle.questions)
    svg = assessment_by_provider_svg(data)
    wide = data.pivot(index="short_label", columns="provider", values="pct_display")
    wide = wide.reindex(list(dict.fromkeys(data["short_label"])))
    rows = [[label, *(str(wide.at[label, p]) for p in wide.columns)] for label in wide.index]
    table = _html_table(
        caption="Data for the chart: percentage of cases judged sufficient (% yes), all cases",
        headers=["Question", *(f"{p} % yes" for p in wide.columns)],
        rows=rows,
        row_headers=1,
    )
    return (
        f"<figure>\n{svg}\n<figcaption>{escape(ASSESSMENT_FIGURE_TITLE)}: percentage of cases "
        "judged sufficient on each question, all cases, by provider.</figcaption>\n</figure>\n"
        f"<details>\n<summary>Show the data for this chart</summary>\n{table}\n</details>"
    )


def _tables_section(bundle: PublicationBundle) -> str:
    parts = []
    for question in bundle.questions.itertuples(index=False):
        layout = layout_for_display(bundle.bulletin_layouts[str(question.question_id)])
        headers = [str(column) for column in layout.columns]
        rows = [[_display(value) for value in row] for row in layout.itertuples(index=False)]
        parts.append(
            _html_table(
                caption=f"Table {question.table}: {question.wording}",
                headers=headers,
                rows=rows,
                row_headers=_leading_label_columns(rows),
            )
        )
    return "\n".join(parts)


def _readable_variables(selected: str) -> str:
    """`provider; ogrs_band` as readers say it: `provider, OGRS band` (in entry order)."""
    names = [name.strip() for name in re.split(r"[;,]", selected) if name.strip()]
    return ", ".join(VARIABLE_LABELS.get(name, name) for name in names)


def _significance_section(bundle: PublicationBundle) -> str:
    summaries = bundle.questions[["question_id", "table", "short_label"]].merge(
        bundle.model_summaries, on="question_id", how="left"
    )
    rows = [
        [
            f"Table {row.table}: {row.short_label}",
            _display(row.n_used),
            _readable_variables(selected_as_text(row.selected)) or "none",
            _display(row.nagelkerke_r2, decimals=3),
            _display(row.summary_text),
        ]
        for row in summaries.itertuples(index=False)
    ]
    return (
        "<p>Forward stepwise logistic regression per question; the variables selected are those "
        "whose differences are statistically significant once the others are allowed for.</p>\n"
        + _html_table(
            caption="Variables selected by the model for each question",
            headers=[
                "Question",
                "Cases used (n)",
                "Variables selected",
                "Nagelkerke R²",
                "Summary",
            ],
            rows=rows,
            row_headers=1,
        )
    )


def _ratings_section(ratings: pd.DataFrame, bundle: PublicationBundle) -> str:
    area_names = bundle.area_names
    shown = ratings
    note = "All key areas are shown."
    if "key_area" in ratings.columns and (ratings["key_area"] == "overall").any():
        shown = ratings[ratings["key_area"] == "overall"]
        note = "Overall rating of each area and provider, driven by its lowest key-area score."
    label_column = rating_label_column(ratings)
    headers = ["Area", "Provider"]
    if shown is ratings and "key_area" in ratings.columns:
        headers.append("Key area")
    headers += [
        "Rating",
        "Cases (n)",
        "Sufficient (%)",
        "95% interval (%)",
        "Interval crosses a band boundary",
    ]
    rows = []
    for row in shown.to_dict("records"):
        area = row.get("area")
        # A national row has no area.
        area_label = "National" if _missing(area) else area_names.get(str(area), str(area))
        cells = [area_label, _display(row.get("provider"))]
        if "Key area" in headers:
            cells.append(_display(row.get("key_area")))
        withheld = _display(row.get("pct_display", "[x]"))
        interval = (
            withheld
            if _missing(row.get("ci_lower"))
            else f"{_display(row.get('ci_lower'), 1)} to {_display(row.get('ci_upper'), 1)}"
        )
        crosses = row.get("crosses_boundary")
        # A withheld rating ([c]) is not an unrated one: its band, base and flag are [c] too.
        blank = withheld if withheld == CONFIDENTIAL else ""
        cells += [
            _display(row.get(label_column)) or blank or "Not rated",
            _display(row.get("n")) or blank,
            withheld if _missing(row.get("pct")) else _display(row.get("pct"), 1),
            interval,
            blank if _missing(crosses) else ("Yes" if bool(crosses) else "No"),
        ]
        rows.append(cells)
    return (
        f"<p>{escape(note)}</p>\n"
        + _ratings_figure(shown, bundle)
        + _html_table(
            caption="Ratings by area and provider, with 95% intervals",
            headers=headers,
            rows=rows,
            row_headers=1,
        )
    )


def _ratings_figure(overall: pd.DataFrame, bundle: PublicationBundle) -> str:
    """The overall scores as a dot-and-interval chart; empty when there is nothing to draw."""
    needed = {"pct", "ci_lower", "ci_upper"}
    if not needed <= set(overall.columns) or "key_area" not in overall.columns:
        return ""
    if not (overall["key_area"] == "overall").any():
        return ""
    scored = overall[~overall["pct"].isna() & ~overall["ci_lower"].isna()].copy()
    if scored.empty:
        return ""
    scored["area_label"] = [
        "National" if _missing(area) else bundle.area_names.get(str(area), str(area))
        for area in scored["area"]
    ]
    labels = list(dict.fromkeys(scored["area_label"]))
    # The national score first, then the areas in the order the ratings came.
    labels = sorted(labels, key=lambda label: label != "National")
    floors = [(str(band["rating"]), 100 * float(band["min_share"])) for band in bundle.rating_bands]
    svg = ratings_intervals_svg(scored, floors, labels)
    return (
        f"<figure>\n{svg}\n<figcaption>{escape(RATINGS_FIGURE_TITLE)}. Each dot is the share of "
        "cases sufficient in the provider's lowest key area; the line is its 95% interval; "
        "dashed lines are the rating band boundaries. The table below gives the same figures."
        "</figcaption>\n</figure>\n"
    )


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[arg-type]


def _method_section(bundle: PublicationBundle) -> str:
    method = "\n".join(f"<li>{escape(item)}</li>" for item in bundle.text.method)
    shorthand = "\n".join(
        f"<dt>{escape(code)}</dt><dd>{escape(meaning)}</dd>"
        for code, meaning in bundle.disclosure_notes.items()
    )
    accounts = bundle.row_accounting
    account_rows = [
        ["Rows in the extract files", f"{accounts.raw_rows:,}"],
        ["Kept (analysis dataset)", f"{accounts.kept:,}"],
        ["Superseded by a later inspection of the same area", f"{accounts.superseded:,}"],
        ["Exact duplicate rows counted once", f"{accounts.exact_duplicates:,}"],
        *(
            [f"Quarantined: {reason}", f"{count:,}"]
            for reason, count in sorted(accounts.quarantined_by_reason.items())
        ),
    ]
    return (
        f"<h3>Method</h3>\n<ul>\n{method}\n</ul>\n"
        f"<h3>Shorthand in tables</h3>\n<dl>\n{shorthand}\n</dl>\n"
        "<h3>Data</h3>\n"
        f"<p>Computed from {len(bundle.inputs)} inspection extract file(s); their SHA-256 digests "
        "are in manifest.json. No case-level data is published.</p>\n"
        + _html_table(
            caption="Row accounting: where every row of the extract files went",
            headers=["Rows", "Count"],
            rows=account_rows,
            row_headers=1,
        )
    )


def _html_table(
    caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], row_headers: int
) -> str:
    """A `<table>` with caption, column headers and the first `row_headers` cells as row headers."""
    numeric = [
        bool(rows) and all(_is_number_or_code(row[index]) for row in rows)
        for index in range(len(headers))
    ]
    number_class = ' class="num"'
    head = "".join(
        f'<th scope="col"{number_class if numeric[i] else ""}>{escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            css = number_class if numeric[index] else ""
            if index < row_headers:
                cells.append(f'<th scope="row"{css}>{escape(value)}</th>')
            else:
                cells.append(f"<td{css}>{escape(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table>\n<caption>{escape(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n"
        "<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"
    )


def _leading_label_columns(rows: Sequence[Sequence[str]]) -> int:
    """How many leading columns are labels (no number or shorthand in any row); at least 1."""
    count = 0
    width = len(rows[0]) if rows else 0
    while count < width - 1 and not any(_is_number_or_code(row[count]) for row in rows):
        count += 1
    return max(count, 1)


def _is_number_or_code(value: str) -> bool:
    if is_shorthand(value):
        return True
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def _display(value: object, decimals: int | None = None) -> str:
    """Text for a cell: missing as empty, floats to `decimals` places when asked."""
    if _missing(value):
        return ""
    if decimals is not None and isinstance(value, int | float):
        return f"{float(value):.{decimals}f}"
    return str(value)


def _percent(part: int, total: int) -> str:
    """Whole-number percentage, rounded half-up as the bulletin does."""
    share = Decimal(100 * part) / Decimal(total)
    return str(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
