"""The raw-level defects planted in the calibrated sample: rows the pipeline must drop or quarantine.

Each defect is an extra row (or pair) in one inspection's file that breaks exactly one rule;
`expected_defects` is what the tests check the pipeline against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from probation_pipeline.sample.cases import Inspection, case_refs, dates_of_birth, extract_rows
from probation_pipeline.sample.model import CRC, NPS, Levels

# The defects added on top of the kept cases: (inspection_id, rule, extra rows).
DEFECTS: tuple[tuple[str, str, int], ...] = (
    ("kent-2016-07", "exact_duplicate", 1),
    ("gwent-2017-01", "exact_duplicate", 1),
    ("west-mercia-2017-08", "exact_duplicate", 1),
    ("greater-manchester-2016-11", "conflicting_duplicate", 2),
    ("durham-2016-04", "age_at_least_18", 1),
    ("staffordshire-2016-10", "crc_never_high_rosh", 1),
    ("suffolk-2017-04", "sentence_before_fieldwork", 1),
    ("cumbria-2017-07", "mappa_eligible_only_nps", 1),
    ("south-yorkshire-2017-03", "case_in_several_areas", 1),
    ("northamptonshire-2017-02", "case_in_several_areas", 1),
)


@dataclass(frozen=True)
class Defect:
    """Raw rows added on purpose that must end up dropped or quarantined, never in the tables.

    `rule` is the pipeline's name for what catches them: `exact_duplicate` (counted once), the
    schema check names (`age_at_least_18`, ...), `conflicting_duplicate` (both rows of a pair) and
    `case_in_several_areas` (one row in each of two areas' latest inspections).
    """

    inspection_id: str
    rule: str
    rows: int


def expected_defects() -> tuple[Defect, ...]:
    """Every defect in the calibrated sample: the extra rows and the rule that must catch them."""
    return tuple(Defect(*defect) for defect in DEFECTS)


def planted_defect_rows(
    rng: np.random.Generator,
    levels: Levels,
    inspections: list[Inspection],
    kept_rows: pd.DataFrame,
    first_rows: pd.DataFrame,
    fresh_case: Callable[[int], tuple[pd.DataFrame, np.ndarray]],
) -> pd.DataFrame:
    """Rows breaking exactly one rule each (expected_defects), built from kept rows or fresh cases.

    `fresh_case(provider)` draws one valid case of that provider with its details, and its
    answers, from the sample's model and `rng` (the caller's draw, so the seed's stream is kept).
    """
    by_id = {inspection.inspection_id: index for index, inspection in enumerate(inspections)}
    taken = set(kept_rows["case_ref"]) | set(first_rows["case_ref"])
    extras: list[pd.DataFrame] = []
    transferred_refs: list[str] = []

    def fresh(inspection_id: str, provider: int) -> pd.DataFrame:
        # A valid new case of this inspection, which the caller then breaks.
        cases, answers = fresh_case(provider)
        if cases.loc[0, "age"] is pd.NA:
            cases.loc[0, ["age", "age_group"]] = (35, 3)
        index = by_id[inspection_id]
        letter = inspections[index].case_letter
        refs = case_refs(rng, np.array([letter]), taken)
        taken.add(refs[0])
        return extract_rows(rng, cases, answers, inspections, np.array([index]), levels, refs=refs)

    for inspection_id, rule, _ in DEFECTS:
        index = by_id[inspection_id]
        if rule == "exact_duplicate":
            mine = kept_rows[kept_rows["inspection"] == index]
            extras.append(mine.iloc[[int(rng.integers(len(mine)))]])
        elif rule == "conflicting_duplicate":
            row = fresh(inspection_id, NPS)
            twin = row.copy()
            twin["diversity"] = 1 - twin["diversity"].clip(lower=0)
            extras.extend([row, twin])
        elif rule == "age_at_least_18":
            row = fresh(inspection_id, CRC)
            row["age"] = pd.array([16], dtype="Int64")
            row["date_of_birth"] = dates_of_birth(rng, row["age"], row["sentence_date"])
            extras.append(row)
        elif rule == "crc_never_high_rosh":
            row = fresh(inspection_id, CRC)
            row["rosh_level"] = pd.array(["High"], dtype="string")
            extras.append(row)
        elif rule == "sentence_before_fieldwork":
            row = fresh(inspection_id, CRC)
            row["sentence_date"] = row["fieldwork_start"] + pd.Timedelta(days=12)
            row["date_of_birth"] = dates_of_birth(rng, row["age"], row["sentence_date"])
            extras.append(row)
        elif rule == "mappa_eligible_only_nps":
            row = fresh(inspection_id, CRC)
            row["mappa_eligible"] = pd.array(["Yes"], dtype="string")
            row["mappa_category"] = pd.array([2], dtype="Int64")
            extras.append(row)
        elif rule == "case_in_several_areas":
            row = fresh(inspection_id, CRC)
            if transferred_refs:
                row["case_ref"] = transferred_refs[0]
            transferred_refs.append(row["case_ref"].iloc[0])
            extras.append(row)
        else:
            raise ValueError(f"unknown defect rule {rule}")
    return pd.concat(extras, ignore_index=True)
