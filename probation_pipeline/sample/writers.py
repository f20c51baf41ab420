"""Writing extract rows as files in the three form versions (DESIGN.md section 4).

Files are written atomically: to a dot-prefixed `.tmp` file in the target folder (which the pipeline
ignores), then renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from probation_pipeline.sample.cases import Inspection

V1_COLUMNS: dict[str, str] = {
    "Inspection": "inspection_id",
    "PCC Area": "pcc_area",
    "Fieldwork Start": "fieldwork_start",
    "Case Ref": "case_ref",
    "Provider": "provider",
    "Provider Name": "provider_name",
    "Sentence Type": "sentence_type",
    "Sentence Date": "sentence_date",
    "Gender": "gender",
    "Age": "age",
    "Ethnicity": "ethnicity",
    "OGRS3": "ogrs3_score",
    "RoSH": "rosh_level",
    "MAPPA Eligible": "mappa_eligible",
    "MAPPA Category": "mappa_category",
    "Q Diversity": "diversity",
    "Q Desistance Pre": "desistance_pre",
    "Q Desistance Post": "desistance_post",
    "Q Harm Public": "harm_public",
    "Q Harm Known Adults": "harm_known_adults",
    "Q Harm Children": "harm_children",
}
_V2_HEAD: dict[str, str] = {
    "inspection_id": "inspection_id",
    "pcc_area": "pcc_area",
    "fieldwork_start": "fieldwork_start",
    "case_ref": "case_ref",
    "provider": "provider",
    "provider_name": "provider_name",
    "sentence_type": "sentence_type",
    "sentence_date": "sentence_date",
    "sex": "gender",
    "date_of_birth": "date_of_birth",
    "ethnicity": "ethnicity",
    "ogrs3_score": "ogrs3_score",
    "rosh_level": "rosh_level",
    "mappa_eligible": "mappa_eligible",
    "mappa_category": "mappa_category",
    "q_barriers": "barriers",
    "q_diversity": "diversity",
    "q_desistance_pre": "desistance_pre",
    "q_desistance_post": "desistance_post",
}
V2_COLUMNS: dict[str, str] = {
    **_V2_HEAD,
    "q_harm_public": "harm_public",
    "q_harm_known_adults": "harm_known_adults",
    "q_harm_children": "harm_children",
}
V3_COLUMNS: dict[str, str] = {
    **_V2_HEAD,
    "q_harm_public_pre": "harm_public",
    "q_harm_public_post": "harm_public_post",
    "q_harm_known_adults_pre": "harm_known_adults",
    "q_harm_known_adults_post": "harm_known_adults_post",
    "q_harm_children_pre": "harm_children",
    "q_harm_children_post": "harm_children_post",
}
LAYOUTS: dict[str, dict[str, str]] = {"v1": V1_COLUMNS, "v2": V2_COLUMNS, "v3": V3_COLUMNS}
ANSWER_COLUMNS = frozenset(
    {
        "barriers",
        "diversity",
        "desistance_pre",
        "desistance_post",
        "harm_public",
        "harm_known_adults",
        "harm_children",
        "harm_public_post",
        "harm_known_adults_post",
        "harm_children_post",
    }
)
# v1 leaves a not-applicable answer blank; v2/v3 spell it N/A (blank there means "not asked").
ANSWER_SPELLING = {
    "v1": np.array(["", "0", "1"], dtype=object),
    "v2": np.array(["N/A", "No", "Yes"], dtype=object),
    "v3": np.array(["N/A", "No", "Yes"], dtype=object),
}


def _text(values: pd.Series) -> np.ndarray:
    return values.astype("string").fillna("").to_numpy(dtype=object)


def render_extract(rows: pd.DataFrame, version: str) -> bytes:
    """The bytes of one extract file in form `version` for `rows` (extract_rows output).

    v1: UTF-8 with BOM, CRLF, dd/mm/yyyy, answers 1/0/blank, age in years. v2/v3: UTF-8, LF, ISO
    dates, answers Yes/No/N/A, date of birth. Cells holding a comma are quoted.
    """
    layout = LAYOUTS[version]
    date_format = "%d/%m/%Y" if version == "v1" else "%Y-%m-%d"
    columns: dict[str, np.ndarray] = {}
    for header, field in layout.items():
        values = rows[field]
        if field in ANSWER_COLUMNS:
            columns[header] = ANSWER_SPELLING[version][values.to_numpy().astype(np.int64) + 1]
        elif field in ("fieldwork_start", "sentence_date", "date_of_birth"):
            formatted = pd.to_datetime(values).dt.strftime(date_format)
            columns[header] = formatted.fillna("").to_numpy(dtype=object)
        else:
            columns[header] = _text(values)
    frame = pd.DataFrame(columns)
    line_end = "\r\n" if version == "v1" else "\n"
    text = frame.to_csv(index=False, lineterminator=line_end)
    prefix = "\ufeff" if version == "v1" else ""
    return (prefix + text).encode("utf-8")


def write_atomically(path: Path, content: bytes) -> None:
    """Write `content` to `path` via a hidden temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def write_inspection_files(
    out: Path, inspections: list[Inspection], rows: pd.DataFrame
) -> list[Path]:
    """Write each inspection's rows (column `inspection` indexes `inspections`) to its file.

    Row order within a file is the order in `rows`. Returns the written paths in inspection order.
    """
    paths = []
    for index, inspection in enumerate(inspections):
        mine = rows[rows["inspection"] == index]
        path = out / inspection.relative_path
        write_atomically(path, render_extract(mine, inspection.form_version))
        paths.append(path)
    return paths
