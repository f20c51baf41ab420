"""From adapted raw rows (strings) to typed case rows with derived analysis variables."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from probation_pipeline.records.columns import record_columns
from probation_pipeline.records.distinct import per_distinct
from probation_pipeline.records.problems import join_flags
from probation_pipeline.reference import Reference

YES_NO = {"Yes": True, "No": False}
INGEST_ONLY_COLUMNS: tuple[str, ...] = (
    "sentence_date",
    "pcc_area_matches",
    "provider_name_matches",
    "inspection_matches_file",
    "read_problem",
    "value_problem",
)


def _parse_whole(text: pd.Series) -> pd.Series:
    parsed = pd.to_numeric(text, errors="coerce")
    return parsed.where(parsed.mod(1).eq(0)).astype("Int64")


def _whole_numbers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse whole numbers; return the values and a mask of non-blank text that did not parse."""
    whole = per_distinct(text, _parse_whole)
    bad = text.notna() & whole.isna()
    return whole, bad


def _parse_date(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def _dates(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    parsed = per_distinct(text, _parse_date)
    return parsed, text.notna() & parsed.isna()


def _parse_yes_no(text: pd.Series) -> pd.Series:
    return text.map(YES_NO, na_action="ignore").astype("boolean")


def _yes_no(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = per_distinct(text, _parse_yes_no)
    return values, text.notna() & values.isna()


def _mapped(text: pd.Series, mapping: dict) -> pd.Series:
    return per_distinct(
        text, lambda distinct: distinct.map(mapping, na_action="ignore").astype("string")
    )


def file_stems(source_file: pd.Series) -> pd.Series:
    """The inspection id each file name stands for (`<area>/<inspection_id>.csv`)."""
    return per_distinct(
        source_file, lambda files: files.str.rsplit("/", n=1).str[-1].str.removesuffix(".csv")
    )


def _bucket(values: pd.Series, labels: pd.Series, floors: pd.Series) -> pd.Series:
    """The label of the highest floor at or below each value; <NA> where the value is missing."""
    result = pd.Series(pd.NA, index=values.index, dtype="string")
    for label, floor in sorted(zip(labels, floors, strict=True), key=lambda pair: pair[1]):
        result = result.mask(values.ge(int(floor)).fillna(False), label)
    return result


def type_raw_rows(raw: pd.DataFrame, reference: Reference, answers: Sequence[str]) -> pd.DataFrame:
    """Typed ingestion rows (IngestedCaseSchema columns) from a raw extract frame.

    `answers` are the judgement columns (`RecordDomains.answers`), Yes/No/<NA> strings in `raw`.

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
    out["supervision_type"] = _mapped(raw["sentence_type"], reference.supervision_types)

    out["age"], problems["age is not a whole number"] = _whole_numbers(raw["age"])
    groups = reference.age_groups
    out["age_group"] = _bucket(out["age"], groups["age_group"], groups["min_age"])
    out.loc[out["age"].lt(int(groups["min_age"].min())).fillna(False), "age_group"] = pd.NA

    ethnic = reference.ethnic_groups
    out["ethnic_group"] = _mapped(raw["ethnicity"], ethnic)
    problems["ethnicity is not an ONS 2011 label"] = raw["ethnicity"].notna() & ~per_distinct(
        raw["ethnicity"], lambda distinct: distinct.isin(list(ethnic))
    )

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
    for column in answers:
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
        raw["pcc_area"].eq(_mapped(raw["area"], names)).fillna(False).astype("boolean")
    )
    stems = file_stems(raw["source_file"])
    out["inspection_matches_file"] = raw["inspection_id"].eq(stems).fillna(False).astype("boolean")
    out["read_problem"] = raw["read_problem"].astype("string")
    out["value_problem"] = join_flags(
        ((problems[message], message) for message in problems.columns), problems.index
    )
    return out[[*record_columns(answers), *INGEST_ONLY_COLUMNS]]


def expected_provider_names(raw: pd.DataFrame, reference: Reference) -> pd.Series:
    """The provider name each row should carry: `<contract package area> CRC` or `NPS <division>`.

    <NA> where the area or provider is not known (other rules name those rows).
    """
    areas = reference.pcc_areas.set_index("area_slug")
    crc = _mapped(raw["area"], (areas["contract_package_area"] + " CRC").to_dict())
    nps = _mapped(raw["area"], ("NPS " + areas["nps_division"]).to_dict())
    expected = pd.Series(pd.NA, index=raw.index, dtype="string")
    expected = expected.mask(raw["provider"].eq("CRC").fillna(False), crc)
    return expected.mask(raw["provider"].eq("NPS").fillna(False), nps).astype("string")
