"""Typing raw rows as it was before the per-distinct-value path: every operation on every row.

Kept as the reference `records/canonical.py` must reproduce exactly. Not used by the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from probation_pipeline.extracts.versions import ANSWER_COLUMNS
from probation_pipeline.records.canonical import INGEST_ONLY_COLUMNS, YES_NO
from probation_pipeline.records.columns import RECORD_COLUMNS
from probation_pipeline.records.problems import flag
from probation_pipeline.reference import Reference


def _whole_numbers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse whole numbers; return the values and a mask of non-blank text that did not parse."""
    parsed = pd.to_numeric(text, errors="coerce")
    whole = parsed.where(parsed.mod(1).eq(0))
    bad = text.notna() & whole.isna()
    return whole.astype("Int64"), bad


def _dates(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return parsed, text.notna() & parsed.isna()


def _yes_no(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = text.map(YES_NO, na_action="ignore").astype("boolean")
    return values, text.notna() & values.isna()


def _bucket(values: pd.Series, labels: pd.Series, floors: pd.Series) -> pd.Series:
    """The label of the highest floor at or below each value; <NA> where the value is missing."""
    result = pd.Series(pd.NA, index=values.index, dtype="string")
    for label, floor in sorted(zip(labels, floors, strict=True), key=lambda pair: pair[1]):
        result = result.mask(values.ge(int(floor)).fillna(False), label)
    return result


def type_raw_rows_by_rows(raw: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Typed ingestion rows (IngestedCaseSchema columns) from a raw extract frame.

    Values that do not parse (a score that is not a number, an answer that is not Yes/No, an
    unknown ethnicity label) become <NA> and are named in `value_problem`, so that validation
    quarantines the row with the reason instead of silently treating it as missing.
    """
    out = pd.DataFrame(index=raw.index)
    problems = pd.DataFrame(index=raw.index)

    for column in ("case_id", "area", "inspection_id", "form_version", "provider"):
        out[column] = raw[column].astype("string")
    out["fieldwork_start"], problems["fieldwork_start is not a date"] = _dates(
        raw["fieldwork_start"]
    )
    for column in ("provider_name", "sentence_type", "gender"):
        out[column] = raw[column].astype("string")
    out["supervision_type"] = (
        raw["sentence_type"].map(reference.supervision_types, na_action="ignore").astype("string")
    )

    out["age"], problems["age is not a whole number"] = _whole_numbers(raw["age"])
    groups = reference.age_groups
    out["age_group"] = _bucket(out["age"], groups["age_group"], groups["min_age"])
    out.loc[out["age"].lt(int(groups["min_age"].min())).fillna(False), "age_group"] = pd.NA

    ethnic = reference.ethnic_groups
    out["ethnic_group"] = raw["ethnicity"].map(ethnic, na_action="ignore").astype("string")
    problems["ethnicity is not an ONS 2011 label"] = raw["ethnicity"].notna() & ~raw[
        "ethnicity"
    ].isin(list(ethnic))

    out["ogrs3_score"], problems["ogrs3_score is not a whole number"] = _whole_numbers(
        raw["ogrs3_score"]
    )
    bands = reference.ogrs_bands
    out["ogrs_band"] = _bucket(out["ogrs3_score"], bands["ogrs_band"], bands["min_score"])
    out["rosh_level"] = raw["rosh_level"].astype("string")
    out["mappa_eligible"], problems["mappa_eligible is not Yes/No"] = _yes_no(raw["mappa_eligible"])
    out["mappa_category"], problems["mappa_category is not a whole number"] = _whole_numbers(
        raw["mappa_category"]
    )
    for column in ANSWER_COLUMNS:
        out[column], problems[f"{column} answer is not Yes/No/not applicable"] = _yes_no(
            raw[column]
        )
    out["source_file"] = raw["source_file"].astype("string")
    out["source_line"] = raw["source_line"].astype("Int64")

    out["sentence_date"], problems["sentence_date is not a date"] = _dates(raw["sentence_date"])
    names = dict(
        zip(reference.pcc_areas["area_slug"], reference.pcc_areas["pcc_area"], strict=True)
    )
    out["provider_name_matches"] = (
        raw["provider_name"]
        .eq(expected_provider_names(raw, reference))
        .fillna(False)
        .astype("boolean")
    )
    out["pcc_area_matches"] = (
        raw["pcc_area"].eq(raw["area"].map(names)).fillna(False).astype("boolean")
    )
    stems = raw["source_file"].str.rsplit("/", n=1).str[-1].str.removesuffix(".csv")
    out["inspection_matches_file"] = raw["inspection_id"].eq(stems).fillna(False).astype("boolean")
    out["read_problem"] = raw["read_problem"].astype("string")
    out["value_problem"] = join_problems_by_rows(
        (flag(problems[message], message) for message in problems.columns), problems.index
    )
    return out[[*RECORD_COLUMNS, *INGEST_ONLY_COLUMNS]]


def expected_provider_names(raw: pd.DataFrame, reference: Reference) -> pd.Series:
    """The provider name each row should carry: `<contract package area> CRC` or `NPS <division>`.

    <NA> where the area or provider is not known (other rules name those rows).
    """
    areas = reference.pcc_areas.set_index("area_slug")
    crc = raw["area"].map(areas["contract_package_area"] + " CRC")
    nps = raw["area"].map("NPS " + areas["nps_division"])
    expected = pd.Series(pd.NA, index=raw.index, dtype="string")
    expected = expected.mask(raw["provider"].eq("CRC").fillna(False), crc)
    return expected.mask(raw["provider"].eq("NPS").fillna(False), nps).astype("string")


def join_problems_by_rows(messages: Iterable[pd.Series], index: pd.Index) -> pd.Series:
    """Per row, the non-missing messages joined by '; ' in the given order; <NA> if none."""
    joined = pd.Series(pd.NA, index=index, dtype="string")
    for message in messages:
        present = message.notna()
        joined = joined.mask(present & joined.isna(), message).mask(
            present & joined.notna(), joined + "; " + message
        )
    return joined
