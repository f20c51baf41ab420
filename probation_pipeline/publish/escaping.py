"""Values are data, never code: escaping text for the spreadsheet formats of a publication.

A text cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return) is read as a formula
by spreadsheet programs opening a CSV file. `spreadsheet_safe` prefixes such text with `'`, the
convention spreadsheets read as "text follows" (OWASP's CSV injection advice). The workbook is
written with xlsxwriter's `strings_to_formulas` and `strings_to_urls` off (WORKBOOK_OPTIONS), so
every string is stored as a string cell. HTML is escaped by `html.escape` in publish/report.py.
"""

from __future__ import annotations

import pandas as pd

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
WORKBOOK_OPTIONS: dict[str, bool] = {"strings_to_formulas": False, "strings_to_urls": False}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def spreadsheet_safe(value: object) -> object:
    """`value` with `'` in front when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _is_number(value):
        return "'" + value
    return value


def spreadsheet_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `spreadsheet_safe` applied to every text column (numbers untouched)."""
    result = frame.copy()
    for column in result.columns:
        values = result[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            result[column] = values.map(spreadsheet_safe, na_action="ignore").astype(values.dtype)
    return result
