"""Hand-written extract files for tests: v1, v2 and v3 rows with sensible defaults."""

from __future__ import annotations

import shutil
from pathlib import Path

from probation_pipeline.extracts.versions import V1, V2, V3
from probation_pipeline.reference import Reference
from probation_pipeline_tests.shipped import REFERENCE_DIR

V2_DEFAULTS: dict[str, str] = {
    "provider": "CRC",
    "provider_name": "Wales CRC",
    "sentence_type": "Community Order",
    "sentence_date": "2016-04-12",
    "sex": "Male",
    "date_of_birth": "1989-07-30",
    "ethnicity": "White: Irish",
    "ogrs3_score": "63",
    "rosh_level": "Medium",
    "mappa_eligible": "No",
    "mappa_category": "",
    "q_barriers": "Yes",
    "q_diversity": "Yes",
    "q_desistance_pre": "No",
    "q_desistance_post": "Yes",
    "q_harm_public": "Yes",
    "q_harm_known_adults": "N/A",
    "q_harm_children": "",
}
AREA_NAMES = {"gwent": "Gwent", "durham": "Durham", "london": "London", "kent": "Kent"}


def new_data_dir(root: Path) -> Path:
    """A data dir with the project's reference data and an empty raw folder."""
    shutil.copytree(REFERENCE_DIR, root / "reference")
    (root / "raw").mkdir()
    return root


def _fieldwork(inspection_id: str) -> str:
    year, month = inspection_id.rsplit("-", 2)[-2:]
    return f"{year}-{month}-09"


def v2_row(inspection: str, case_ref: str, **changes: str) -> dict[str, str]:
    area = inspection.rsplit("-", 2)[0]
    row = {
        "inspection_id": inspection,
        "pcc_area": AREA_NAMES[area],
        "fieldwork_start": _fieldwork(inspection),
        "case_ref": case_ref,
        **V2_DEFAULTS,
    }
    row.update(changes)
    if "provider_name" not in changes:
        row["provider_name"] = provider_name(area, row["provider"])
    return row


def provider_name(area: str, provider: str) -> str:
    """`<contract package area> CRC` or `NPS <division>`, from the reference areas."""
    areas = Reference(REFERENCE_DIR).pcc_areas.set_index("area_slug")
    if provider == "NPS":
        return f"NPS {areas.at[area, 'nps_division']}"
    return f"{areas.at[area, 'contract_package_area']} CRC"


def write_csv(
    path: Path,
    header: tuple[str, ...],
    rows: list[list[str]],
    *,
    bom: bool = False,
    crlf: bool = False,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    end = "\r\n" if crlf else "\n"
    lines = [",".join(header)] + [",".join(_quote(v) for v in row) for row in rows]
    text = end.join(lines) + end
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def _quote(value: str) -> str:
    return f'"{value}"' if "," in value else value


def write_v2(raw_dir: Path, inspection_id: str, rows: list[dict[str, str]]) -> Path:
    area = inspection_id.rsplit("-", 2)[0]
    header = V2.header
    return write_csv(
        raw_dir / area / f"{inspection_id}.csv", header, [[r[h] for h in header] for r in rows]
    )


def write_v3(raw_dir: Path, inspection_id: str, rows: list[dict[str, str]]) -> Path:
    """v3 rows from v2-style dicts: each harm answer becomes `_pre`; `_post` given or Yes."""
    area = inspection_id.rsplit("-", 2)[0]
    out = []
    for row in rows:
        full = dict(row)
        for harm in ("q_harm_public", "q_harm_known_adults", "q_harm_children"):
            full[f"{harm}_pre"] = row[harm]
            full.setdefault(f"{harm}_post", "Yes")
        out.append([full[h] for h in V3.header])
    return write_csv(raw_dir / area / f"{inspection_id}.csv", V3.header, out)


def write_v1(raw_dir: Path, inspection_id: str, rows: list[list[str]]) -> Path:
    area = inspection_id.rsplit("-", 2)[0]
    return write_csv(raw_dir / area / f"{inspection_id}.csv", V1.header, rows, bom=True, crlf=True)
