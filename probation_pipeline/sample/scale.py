"""Scale mode: large uncalibrated samples from the same model, for benchmarks.

The model is the one calibrated mode draws from (model.py, answer model started from the published
tables), with an area effect added to the case-quality factor so that areas differ. There is no exact
repair: the tables of a scale sample only resemble the bulletin's.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from probation_pipeline.paths import DataPaths
from probation_pipeline.reference import Reference
from probation_pipeline.sample.cases import Inspection, case_records, extract_rows, make_inspection
from probation_pipeline.sample.margins import headline_targets, published_cells
from probation_pipeline.sample.model import (
    AnswerModel,
    Levels,
    draw_demographics,
    draw_details,
)
from probation_pipeline.sample.writers import write_inspection_files

CRC_SHARE = 672 / 1066
AREA_QUALITY_SD = 0.35
"""Spread of area effects on the case-quality factor (areas are rated differently)."""
FIRST_MONTH = date(2016, 3, 1)
LAST_MONTH = date(2017, 12, 1)


def default_reference() -> Reference:
    """The reference folder of the configured data directory, else the repository's own."""
    return Reference(DataPaths.from_env().reference)


def scale_inspections(reference: Reference, n_areas: int) -> list[Inspection]:
    """One inspection for each of `n_areas` PCC areas, fieldwork months spread March 2016 - Dec 2017.

    Areas are the first `n_areas` of pcc_areas.csv (at most 42). Months cycle over the window so
    that all three form versions occur.
    """
    slugs = list(reference.pcc_areas["area_slug"])
    if not 1 <= n_areas <= len(slugs):
        raise ValueError(f"n_areas must be 1..{len(slugs)}, got {n_areas}")
    months = (LAST_MONTH.year - FIRST_MONTH.year) * 12 + LAST_MONTH.month - FIRST_MONTH.month + 1
    inspections = []
    for index, slug in enumerate(slugs[:n_areas]):
        offset = (index * 7) % months
        year = FIRST_MONTH.year + (FIRST_MONTH.month - 1 + offset) // 12
        month = (FIRST_MONTH.month - 1 + offset) % 12 + 1
        inspections.append(make_inspection(reference, slug, year, month))
    return inspections


def draw_scale_sample(
    n_cases: int, n_areas: int, seed: int, reference: Reference | None = None
) -> tuple[list[Inspection], pd.DataFrame, pd.DataFrame, Levels]:
    """Draw `n_cases` cases over `n_areas` inspections: (inspections, extract rows, codes, levels).

    Rows are ordered by inspection. Deterministic in `seed`.
    """
    reference = reference or default_reference()
    levels = Levels.from_reference(reference)
    rng = np.random.default_rng(seed)
    inspections = scale_inspections(reference, n_areas)
    # Area sizes vary (some areas have bigger caseloads); every area gets at least one case.
    weights = rng.gamma(4.0, 1.0, n_areas)
    inspection_index = np.sort(rng.choice(n_areas, size=n_cases, p=weights / weights.sum()))
    provider = (rng.random(n_cases) >= CRC_SHARE).astype(np.int8)
    cases = draw_demographics(rng, provider)
    cases = draw_details(rng, cases, levels)
    headline = headline_targets(reference)
    model = AnswerModel.from_tables(
        published_cells(reference), levels, (headline["crc_cases"], headline["nps_cases"])
    )
    area_effect = rng.normal(0.0, AREA_QUALITY_SD, n_areas)
    quality = rng.standard_normal(n_cases) + area_effect[inspection_index]
    answers = model.draw(rng, cases, quality)
    rows = extract_rows(rng, cases, answers, inspections, inspection_index, levels)
    return inspections, rows, cases, levels


def scale_case_records(
    n_cases: int, n_areas: int, seed: int, reference: Reference | None = None
) -> pd.DataFrame:
    """`n_cases` synthetic canonical case records over `n_areas` areas, without any CSV round trip.

    Columns and dtypes are those of records/columns.py (`record_columns` of the sample's judgements,
    `cases.sample_answers`); case_id is `S<n>` (unique).
    The same arguments give the same frame. `reference` defaults to the data directory's reference
    folder (or the repository's).
    """
    _, rows, cases, levels = draw_scale_sample(n_cases, n_areas, seed, reference)
    return case_records(rows, cases, levels)


def write_scale_sample(
    out: Path, n_cases: int, n_areas: int, seed: int, reference: Reference | None = None
) -> list[Path]:
    """Write a scale sample as extract files `<out>/<area>/<inspection_id>.csv`; return the paths."""
    inspections, rows, _, _ = draw_scale_sample(n_cases, n_areas, seed, reference)
    return write_inspection_files(out, inspections, rows)
