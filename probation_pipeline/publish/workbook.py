"""The accessible spreadsheet `tables.xlsx`, written with gptables.

Layout follows the Analysis Function guidance as gptables implements it: a Cover, a Contents and a
Notes sheet, then one table per sheet (Tables 1-7 in the bulletin's layout, ratings, model results).
Numbers are stored as numbers and shorthand (`[c]`, `[z]`, `[x]`) as text, explained in the notes.

The workbook is byte-reproducible: xlsxwriter already fixes the zip entries' timestamps, and the only
other clock reading, the document's created date, is set to the publication's latest fieldwork date.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, time
from pathlib import Path

import gptables as gpt
import pandas as pd

from probation_pipeline.publish.bundle import PublicationBundle, layout_for_display
from probation_pipeline.publish.data_files import is_shorthand
from probation_pipeline.publish.escaping import WORKBOOK_OPTIONS
from probation_pipeline.stats.disclosure import NOT_APPLICABLE, NOT_AVAILABLE

# Readable headings for the tidy sheets; unknown columns keep their name.
_HEADINGS: dict[str, str] = {
    "question_id": "Question",
    "scope": "Scope",
    "area": "Area",
    "provider": "Provider",
    "key_area": "Key area",
    "n": "Cases (n)",
    "sufficient": "Cases sufficient",
    "pct": "Sufficient (%)",
    "ci_lower": "95% interval lower",
    "ci_upper": "95% interval upper",
    "rating": "Rating",
    "band": "Rating",
    "share": "Sufficient (share)",
    "driven_by": "Driven by key area",
    "minus2_log_likelihood": "-2 log likelihood",
    "warnings": "Warnings",
    "crosses_boundary": "Interval crosses a band boundary",
    "step": "Step",
    "action": "Action",
    "variable": "Variable",
    "statistic": "Test statistic",
    "df": "Degrees of freedom",
    "p_value": "p-value",
    "term": "Term",
    "estimate": "Coefficient",
    "std_error": "Standard error",
    "odds_ratio": "Odds ratio",
    "n_used": "Cases used (n)",
    "nagelkerke_r2": "Nagelkerke R squared",
    "selected": "Variables selected",
    "summary_text": "Summary",
    "note": "Why no estimate",
}

# Where the same column name means something else on one sheet.
_SHEET_HEADINGS: dict[str, dict[str, str]] = {
    "ratings": {"ci_lower": "95% interval lower (%)", "ci_upper": "95% interval upper (%)"},
    "model_coefficients": {
        "ci_lower": "Odds ratio 95% interval lower",
        "ci_upper": "Odds ratio 95% interval upper",
    },
}

# Note references used in titles as `$$ref$$`; gptables numbers them in order of first use.
_NOTE_SHORTHAND = "shorthand"
_NOTE_ROUNDING = "rounding"
_NOTE_MERGED = "merged_levels"
_NOTE_RATINGS = "ratings"
_NOTE_MODELS = "models"


def write_workbook(
    bundle: PublicationBundle,
    published: dict[str, pd.DataFrame],
    publication_id: str,
    path: Path,
) -> None:
    """Write `tables.xlsx` to `path`.

    `published` is `data_files.published_frames(bundle)` (numbers behind shorthand already blanked).
    Sheets: Cover, Contents, Notes, Table_1..Table_N (one per question in `bundle.questions`),
    Ratings, Model_summaries, Model_steps, Model_coefficients.
    """
    sheets: dict[str, gpt.GPTable] = {}
    scope = (
        "Probation cases inspected, latest inspection of each police force area, fieldwork up to "
        f"{_month(bundle.latest_fieldwork)}"
    )
    for question in bundle.questions.itertuples(index=False):
        layout = _numbers_as_numbers(
            layout_for_display(bundle.bulletin_layouts[str(question.question_id)])
        )
        sheets[f"Table_{question.table}"] = gpt.GPTable(
            table=layout,
            table_name=f"table_{question.table}",
            title=f"Table {question.table}: {question.wording}",
            subtitles=[
                "Cases answered (n) and percentage judged sufficient (% yes), by provider and "
                f"subgroup$${_NOTE_SHORTHAND}$$$${_NOTE_ROUNDING}$$$${_NOTE_MERGED}$$"
            ],
            scope=scope,
            source=bundle.text.source,
            index_columns={2: 0},
            additional_formatting=_one_decimal_for_percentages(layout),
        )
    tidy_sheets = (
        ("Ratings", "ratings", "Ratings by area, provider and key area", _NOTE_RATINGS),
        ("Model_summaries", "model_summaries", "Significance summary per question", _NOTE_MODELS),
        ("Model_steps", "model_steps", "Stepwise regression: steps per question", _NOTE_MODELS),
        (
            "Model_coefficients",
            "model_coefficients",
            "Stepwise regression: final model coefficients per question",
            _NOTE_MODELS,
        ),
    )
    for label, stem, title, note in tidy_sheets:
        frame = published[stem]
        if frame.empty:
            # gptables refuses an empty table; one row of [x] says there is nothing to show
            # (e.g. no variable entered any model).
            frame = pd.DataFrame([{column: NOT_AVAILABLE for column in frame.columns}])
        readable = _readable(_fill_missing(frame), stem)
        sheets[label] = gpt.GPTable(
            table=readable,
            table_name=stem,
            title=f"{title}$${note}$$",
            subtitles=[f"Missing values are shown as shorthand$${_NOTE_SHORTHAND}$$"],
            scope=scope,
            source=bundle.text.source,
            index_columns={},
            # Only ratings hold percentages; model statistics keep their full precision.
            additional_formatting=(
                _one_decimal_for_percentages(readable) if stem == "ratings" else []
            ),
        )

    cover = gpt.Cover(
        title=bundle.text.title,
        intro=[
            bundle.text.subtitle,
            f"Publication {publication_id}; latest fieldwork {_month(bundle.latest_fieldwork)}.",
        ],
        about=[
            [{"bold": True}, "Source"],
            bundle.text.source,
            [{"bold": True}, "Method"],
            *bundle.text.method,
            [{"bold": True}, "Notes, shorthand and units"],
            "Notes are on the Notes sheet and referred to as [note 1] and so on. Shorthand in "
            "cells: "
            + "; ".join(f"{code} {meaning}" for code, meaning in bundle.disclosure_notes.items()),
        ],
        contact=[bundle.text.contact],
    )
    notes = pd.DataFrame(
        {
            "Note reference": [
                _NOTE_SHORTHAND,
                _NOTE_ROUNDING,
                _NOTE_MERGED,
                _NOTE_RATINGS,
                _NOTE_MODELS,
            ],
            "Note text": [
                " ".join(
                    [
                        *(
                            f"{code}: {meaning}"
                            for code, meaning in bundle.disclosure_notes.items()
                        ),
                        f"In the ratings and model sheets, {NOT_APPLICABLE} also marks a value "
                        "that does not exist for that row (for example, no test at the first step).",
                    ]
                ),
                "Percentages are rounded half-up to one decimal place from exact counts.",
                "High and Very high levels of OGRS band and of RoSH level are merged.",
                "A rating is driven by the lowest key-area score; intervals are 95% Wilson score "
                "intervals; a flagged rating's interval crosses a band boundary.",
                "Forward stepwise logistic regression, each subgroup variable entered or removed "
                "as one categorical block (entry p < 0.05 by score test, removal p > 0.10 by "
                "likelihood-ratio test).",
            ],
        }
    )
    with warnings.catch_warnings():
        # gptables warns about notes no sheet references; every note above is referenced.
        warnings.simplefilter("ignore", UserWarning)
        workbook = gpt.produce_workbook(
            filename=str(path),
            sheets=sheets,
            cover=cover,
            notes_table=notes,
            contentsheet_options={"additional_elements": ["subtitles"]},
            # Every string is a string cell: never a live formula or hyperlink.
            workbook_options=WORKBOOK_OPTIONS,
        )
    workbook.set_properties(
        {
            "title": bundle.text.title,
            "subject": publication_id,
            "author": bundle.text.contact,
            # The one timestamp in an xlsx: pin it so the same publication gives the same bytes.
            "created": datetime.combine(bundle.latest_fieldwork, time()),
        }
    )
    workbook.close()


def _month(day: date) -> str:
    return day.strftime("%B %Y")


def _numbers_as_numbers(layout: pd.DataFrame) -> pd.DataFrame:
    """Display strings that are numbers become int/float; shorthand and labels stay text."""

    def convert(value: object) -> object:
        if not isinstance(value, str) or is_shorthand(value):
            return value
        text = value.replace(",", "").strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            return value

    converted = layout.reset_index(drop=True).copy()
    for column in converted.columns[1:]:
        converted[column] = converted[column].map(convert).astype(object)
    converted.columns = [str(column) for column in converted.columns]
    return converted


def _one_decimal_for_percentages(layout: pd.DataFrame) -> list[dict[str, object]]:
    # 70.0 must read 70.0, not 70: a percentage column always shows one decimal.
    columns = [column for column in layout.columns if "%" in column and "share" not in column]
    if not columns:
        return []
    return [{"column": {"columns": columns, "format": {"num_format": "0.0"}}}]


def _fill_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing cells become the row's display shorthand if it has one, else `[z]`."""
    filled = frame.reset_index(drop=True).astype(object)
    shorthand = pd.Series(NOT_APPLICABLE, index=filled.index, dtype=object)
    if "pct_display" in filled.columns:
        is_code = filled["pct_display"].map(is_shorthand).astype(bool)
        shorthand = shorthand.where(~is_code, filled["pct_display"])
    if "note" in filled.columns:
        # A model term with a note (e.g. separation) has no estimate: [x], the note says why.
        noted = filled["note"].fillna("").astype(str).str.len() > 0
        shorthand = shorthand.where(~noted, NOT_AVAILABLE)
    for column in filled.columns:
        missing = filled[column].isna()
        if missing.any():
            filled.loc[missing, column] = shorthand[missing]
    return filled


def _readable(frame: pd.DataFrame, stem: str) -> pd.DataFrame:
    headings = {**_HEADINGS, **_SHEET_HEADINGS.get(stem, {})}
    return frame.rename(columns=lambda column: headings.get(str(column), str(column)))
