"""Scans of a publication folder: every number finite or shorthand, in every output format."""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import openpyxl
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Words a writer emits for a non-finite float.
NON_FINITE = re.compile(r"^[+-]?(nan|inf|infinity)$", re.IGNORECASE)
NON_FINITE_WORD = re.compile(r"(?<![\w-])[+-]?(nan|inf|infinity)(?![\w-])", re.IGNORECASE)


def non_finite_values(folder: Path) -> list[str]:
    """Where a publication folder holds NaN or an infinity (empty when there is none).

    CSV: a field reading nan/inf; Parquet: a NaN or infinite float (nulls are missing values,
    shown beside their shorthand); xlsx: a non-finite number or a nan/inf text cell; report: the
    word nan/inf in its visible text.
    """
    found = []
    for path in sorted(folder.glob("*.csv")):
        for line, row in enumerate(csv.reader(io.StringIO(path.read_text())), start=1):
            found.extend(f"{path.name}:{line}: {v!r}" for v in row if NON_FINITE.match(v.strip()))
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path)
        for name in table.column_names:
            column = table[name]
            if column.type in ("double", "float", "halffloat") or str(column.type) in (
                "double",
                "float",
            ):
                bad = pc.sum(pc.or_(pc.is_nan(column), pc.is_inf(column))).as_py() or 0
                if bad:
                    found.append(f"{path.name}: {bad} NaN/inf in {name}")
    workbook_path = folder / "tables.xlsx"
    if workbook_path.exists():
        workbook = openpyxl.load_workbook(workbook_path)
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    value = cell.value
                    if isinstance(value, float) and not math.isfinite(value):
                        found.append(f"tables.xlsx {sheet.title}!{cell.coordinate}: {value}")
                    if isinstance(value, str) and NON_FINITE.match(value.strip()):
                        found.append(f"tables.xlsx {sheet.title}!{cell.coordinate}: {value!r}")
    report = folder / "report.html"
    if report.exists():
        text = re.sub(r"<svg.*?</svg>", "", report.read_text(), flags=re.DOTALL)
        visible = re.sub(r"<[^>]+>", " ", text)
        found.extend(f"report.html: {m.group(0)!r}" for m in NON_FINITE_WORD.finditer(visible))
    return found
