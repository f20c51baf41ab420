"""`report.html`: one self-contained, accessible, responsive page.

No external request of any kind (styles inline, charts as inline SVG, no scripts, no fonts, no
images by URL); the only links are in-page anchors and the publication's own files beside the
report. Every piece of text from the bundle is escaped. Each table has a caption and `<th scope>`
headers and scrolls inside its own container; each chart has a wide and a narrow drawing (the
narrow one on small screens), an accessible name and its data as a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import pandas as pd

from probation_pipeline.publish.bundle import PublicationBundle
from probation_pipeline.publish.charts import ASSESSMENT_FIGURE_TITLE
from probation_pipeline.publish.report_html import STYLE
from probation_pipeline.publish.report_sections import (
    figure_section,
    headline_section,
    main_points_section,
    method_section,
    ratings_section,
    significance_section,
    tables_section,
)
from probation_pipeline.publish.sheets import release_metadata

DOWNLOADS: tuple[tuple[str, str], ...] = (
    ("tables.ods", "{tables}, ratings and models (OpenDocument spreadsheet)"),
    ("tables.xlsx", "{tables}, ratings and models (Excel spreadsheet)"),
    ("judgement_tables.csv", "Judgement tables, tidy (CSV)"),
    ("ratings.csv", "Ratings (CSV)"),
    ("model_steps.csv", "Stepwise regression steps (CSV)"),
    ("model_coefficients.csv", "Final model coefficients (CSV)"),
    ("model_summaries.csv", "Model summaries (CSV)"),
    ("data_dictionary.csv", "Data dictionary: every CSV column explained (CSV)"),
    ("manifest.json", "Manifest: input files, code version and file digests (JSON)"),
)
"""Files beside report.html, linked by relative name; `{tables}` is `table_span`'s words."""


def table_span(questions: pd.DataFrame) -> str:
    """The judgement tables by number, as headings name them: "Tables 1 to 7", or "Table 1"."""
    numbers = sorted(int(number) for number in questions["table"])
    if len(numbers) == 1:
        return f"Table {numbers[0]}"
    return f"Tables {numbers[0]} to {numbers[-1]}"


def _downloads(files: Sequence[tuple[str, str]], tables: str) -> str:
    items = "\n".join(
        f'<li><a href="{escape(name)}">{escape(description.format(tables=tables))}</a> '
        f"({escape(name)})</li>"
        for name, description in files
    )
    return f"<p>These files are beside this page.</p>\n<ul>\n{items}\n</ul>"


def render_report(
    bundle: PublicationBundle,
    published: dict[str, pd.DataFrame],
    pub_id: str,
    downloads: Sequence[tuple[str, str]] = DOWNLOADS,
) -> str:
    """The complete HTML document as a string (UTF-8 text, `\\n` line ends, deterministic).

    `published` is `data_files.published_frames(bundle)`; the report shows the same (withheld)
    numbers as the data files. `downloads` are (file name, description) of the files beside it.
    """
    tables = table_span(bundle.questions)
    sections = [
        ("main-points", "Main points", main_points_section(bundle, published)),
        ("headline", "Headline numbers", headline_section(bundle)),
        ("figure", ASSESSMENT_FIGURE_TITLE, figure_section(bundle)),
        ("tables", f"{tables}: judgements by provider and subgroup", tables_section(bundle)),
        (
            "significance",
            "Significant differences per question",
            significance_section(bundle, published),
        ),
        ("ratings", "Ratings by area", ratings_section(bundle, published)),
        ("method", "Method and data notes", method_section(bundle)),
        ("downloads", "Download the data", _downloads(downloads, tables)),
    ]
    contents = "\n".join(
        f'<li><a href="#{anchor}">{escape(heading)}</a></li>' for anchor, heading, _ in sections
    )
    body = "\n".join(
        f'<section id="{anchor}" aria-labelledby="{anchor}-heading">\n'
        f'<h2 id="{anchor}-heading">{escape(heading)}</h2>\n{content}\n</section>'
        for anchor, heading, content in sections
    )
    release = bundle.spec.release
    notice = (
        f'<p class="notice" role="note">Synthetic data: {escape(bundle.spec.synthetic_notice)}</p>'
        if bundle.synthetic
        else ""
    )
    metadata = "\n".join(
        f"<dt>{escape(key)}</dt><dd>{escape(value)}</dd>"
        for key, value in release_metadata(bundle, pub_id)
    )
    email = (
        f' (<a href="mailto:{escape(release.contact_email)}">{escape(release.contact_email)}</a>)'
        if release.contact_email
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(release.title)}</title>
<style>{STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header>
<p class="meta">{escape(release.series)}</p>
<h1>{escape(release.title)}</h1>
<p>{escape(release.subtitle)}</p>
{notice}
<dl class="release">
{metadata}
</dl>
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
<p>Source: {escape(release.source)}.</p>
<p>Contact: {escape(release.contact)}{email}.</p>
</footer>
</body>
</html>
"""
