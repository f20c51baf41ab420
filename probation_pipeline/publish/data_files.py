"""The tidy data files of a publication: CSV and Parquet of tables, ratings and models.

These are the byte-reproducible part of a publication: the same bundle always gives the same bytes
(fixed column order, row order as given, `\\n` line ends, no index, no timestamps).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from probation_pipeline.digests import sha256_file
from probation_pipeline.frames import write_parquet
from probation_pipeline.publish.bundle import PublicationBundle
from probation_pipeline.publish.escaping import spreadsheet_safe_frame
from probation_pipeline.publish.spec import PublicationSpec

DATA_FILE_STEMS: tuple[str, ...] = (
    "judgement_tables",
    "ratings",
    "model_steps",
    "model_coefficients",
    "model_summaries",
)
"""Each stem is written as `<stem>.csv` and `<stem>.parquet`."""

_SHORTHAND = re.compile(r"^\[[a-z]+\]$")

# A number shown as a shorthand must not be recoverable from the numeric columns beside it.
_WITHHELD_WITH_N = ("n", "yes", "pct_yes", "ci_lower", "ci_upper")
_WITHHELD_WITH_PCT = ("yes", "pct_yes", "ci_lower", "ci_upper")
_RATING_WITHHELD_WITH_PCT = ("sufficient", "pct", "ci_lower", "ci_upper")


def is_shorthand(value: object) -> bool:
    """True for an Analysis Function shorthand such as `[c]`, `[z]` or `[x]`."""
    return isinstance(value, str) and bool(_SHORTHAND.match(value.strip()))


def published_frames(bundle: PublicationBundle) -> dict[str, pd.DataFrame]:
    """Return stem -> the frame published under that name (see DATA_FILE_STEMS).

    Numbers behind a shorthand display (`n_display` or `pct_display` is `[c]`, `[z]`, `[x]`) are
    blanked so that disclosure control cannot be undone from the tidy files. `selected` model
    variables become one comma-separated string so CSV and Parquet hold the same value.
    """
    tables = _withhold(
        bundle.judgement_tables, {"n_display": _WITHHELD_WITH_N, "pct_display": _WITHHELD_WITH_PCT}
    )
    for column in ("n", "yes"):
        tables[column] = pd.to_numeric(tables[column]).astype("Int64")
    ratings = _withhold(bundle.ratings, {"pct_display": _RATING_WITHHELD_WITH_PCT})
    summaries = bundle.model_summaries.copy()
    summaries["selected"] = summaries["selected"].map(selected_as_text)
    frames = {
        "judgement_tables": tables,
        "ratings": ratings,
        "model_steps": bundle.model_steps.reset_index(drop=True),
        "model_coefficients": bundle.model_coefficients.reset_index(drop=True),
        "model_summaries": summaries,
    }
    return {stem: finite_or_missing(frame) for stem, frame in frames.items()}


def finite_or_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every infinite number made missing (shown as shorthand, never as inf).

    Missing floats are written as empty CSV cells and Parquet nulls, never as NaN text.
    """
    result = frame.copy()
    for column in result.columns:
        values = result[column]
        if pd.api.types.is_float_dtype(values.dtype):
            result[column] = values.mask(values.isin([np.inf, -np.inf]))
    return result


def selected_as_text(selected: object) -> str:
    """Selected variables as `a, b` (from a list, tuple, array or an already joined string)."""
    if selected is None or (isinstance(selected, float) and pd.isna(selected)):
        return ""
    if isinstance(selected, str):
        return selected
    return ", ".join(str(variable) for variable in selected)  # type: ignore[attr-defined]


DICTIONARY_NAME = "data_dictionary.csv"


def write_data_files(
    frames: dict[str, pd.DataFrame], folder: Path, spec: PublicationSpec
) -> dict[str, str]:
    """Write `<stem>.csv`, `<stem>.parquet` and the data dictionary; return file name -> SHA-256.

    Parquet holds the frame as computed (codes only, full precision). The CSV holds the same
    columns, each code column followed by its label column (`readable.labelled_frame`), and
    `data_dictionary.csv` describes every CSV column and says which are in the Parquet file.
    """
    # Imported here: readable imports is_shorthand from this module.
    from probation_pipeline.publish.readable import dictionary_rows, labelled_frame

    digests: dict[str, str] = {}
    dictionary: list[dict[str, str]] = []
    for stem, frame in frames.items():
        labelled = labelled_frame(stem, frame, spec)
        csv_path = folder / f"{stem}.csv"
        # CSV opens in spreadsheets: text that would run as a formula is neutralised there only.
        spreadsheet_safe_frame(labelled).to_csv(
            csv_path, index=False, lineterminator="\n", encoding="utf-8"
        )
        parquet_path = folder / f"{stem}.parquet"
        # No compression-level or writer defaults vary between runs; pandas metadata has no time.
        write_parquet(frame, parquet_path)
        for path in (csv_path, parquet_path):
            digests[path.name] = sha256_file(path)
        for row in dictionary_rows(stem, labelled, spec):
            row["in_parquet"] = "Yes" if row["column"] in frame.columns else "No"
            dictionary.append(row)
    dictionary_path = folder / DICTIONARY_NAME
    spreadsheet_safe_frame(pd.DataFrame(dictionary)).to_csv(
        dictionary_path, index=False, lineterminator="\n", encoding="utf-8"
    )
    digests[DICTIONARY_NAME] = sha256_file(dictionary_path)
    return digests


def _withhold(frame: pd.DataFrame, rules: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    result = frame.reset_index(drop=True).copy()
    for display_column, numeric_columns in rules.items():
        if display_column not in result.columns:
            continue
        hidden = result[display_column].map(is_shorthand).astype(bool)
        for column in numeric_columns:
            if column in result.columns and hidden.any():
                # mask keeps the column's dtype (an Int64 count stays an integer column).
                result[column] = result[column].mask(hidden)
    return result
