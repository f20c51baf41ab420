"""The pandera contract of a case record, with one named check per rule of DESIGN.md section 5.

`CaseRecordSchema` is the stored record (`case_records.parquet`); `IngestedCaseSchema` adds the
fields that exist only during ingestion (sentence date, the reader's problems, the area name as
written) and the rules that need them. Check names read as the rule they enforce; they become the
`rule` of a quarantined row.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from probation_pipeline.records.columns import (
    CASE_COLUMNS,
    FormLayout,
    answer_columns,
    record_columns,
)
from probation_pipeline.reference import MERGED_HIGH, PROVIDERS, Reference

GENDERS = ["Male", "Female"]


@dataclass(frozen=True)
class RecordDomains:
    """The judgement columns, the allowed values of the coded columns and the OGRS band floors,
    from reference data and the form versions.

    Built by `record_domains`: nothing here is a literal, so adding a form version (to
    `extracts/versions.py`), a question, an age group or an ethnic group changes the schema with it.
    """

    answers: tuple[str, ...]
    """The judgement columns (`records.columns.answer_columns`): questions, then their stages."""

    allowed: tuple[tuple[str, tuple[str, ...]], ...]
    """(column, allowed values) for each coded column."""
    ogrs_band_floors: tuple[tuple[str, int], ...]
    """(band, lowest score) from ogrs_bands.csv, lowest band first."""
    high_rosh_levels: tuple[str, ...]
    """RoSH levels merged into High/Very high (rosh_levels.csv): CRCs never hold them."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of a stored case record, in order."""
        return record_columns(self.answers)


def record_domains(reference: Reference, form_versions: Collection[FormLayout]) -> RecordDomains:
    """The domains of a case record: form versions as the reader knows them
    (`extracts.versions.registered_versions()`), their names and the judgements they carry; the
    questions and the rest from `reference` (questions, supervision_types, age_groups, ethnicity,
    OGRS and RoSH files). Raises UnknownJudgementError for a version's judgement that is no
    question of questions.csv (nor a stage of one)."""
    supervision = reference.supervision_types
    bands = reference.ogrs_bands
    rosh = reference.rosh_levels
    ethnic_groups = [group for group in reference.ethnic_groups.values() if group is not None]
    allowed = {
        "form_version": tuple(version.name for version in form_versions),
        "provider": PROVIDERS,
        "supervision_type": tuple(dict.fromkeys(supervision.values())),
        "sentence_type": tuple(supervision),
        "age_group": tuple(reference.age_groups["age_group"]),
        "ethnic_group": tuple(dict.fromkeys(ethnic_groups)),
        "ogrs_band": tuple(bands["ogrs_band"]),
        "rosh_level": tuple(rosh["rosh_level"]),
    }
    floors = sorted(
        zip(bands["ogrs_band"], bands["min_score"].astype(int), strict=True), key=lambda b: b[1]
    )
    return RecordDomains(
        answers=answer_columns(reference.question_ids, form_versions),
        allowed=tuple(allowed.items()),
        ogrs_band_floors=tuple((str(band), int(floor)) for band, floor in floors),
        high_rosh_levels=tuple(rosh.loc[rosh["table_level"] == MERGED_HIGH, "rosh_level"]),
    )


def _band_for_score(score: pd.Series, floors: tuple[tuple[str, int], ...]) -> pd.Series:
    bands = pd.Series(pd.NA, index=score.index, dtype="string")
    for band, floor in floors:
        bands = bands.mask(score.ge(floor).fillna(False), band)
    return bands


class CaseRecordSchema(pa.DataFrameModel):
    """One kept case: the analysis dataset's row (DESIGN.md sections 5 and 11).

    The columns, types and the rules that need no reference data. The judgement columns (nullable
    booleans, one per question and stage) and the domains come from the reference data and the
    form versions: the whole contract is `case_record_schema(domains)`.
    """

    case_id: Series[pd.StringDtype] = pa.Field(nullable=False, str_matches=r"^[0-9a-f]{20}$")
    area: Series[pd.StringDtype] = pa.Field(str_matches=r"^[a-z]+(-[a-z]+)*$")
    inspection_id: Series[pd.StringDtype] = pa.Field(str_matches=r"^[a-z-]+-\d{4}-\d{2}$")
    fieldwork_start: Series[pd.Timestamp] = pa.Field(nullable=False)
    form_version: Series[pd.StringDtype] = pa.Field()
    provider: Series[pd.StringDtype] = pa.Field()
    provider_name: Series[pd.StringDtype] = pa.Field(nullable=False)
    supervision_type: Series[pd.StringDtype] = pa.Field()
    sentence_type: Series[pd.StringDtype] = pa.Field()
    gender: Series[pd.StringDtype] = pa.Field(isin=GENDERS)
    age: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    age_group: Series[pd.StringDtype] = pa.Field(nullable=True)
    ethnic_group: Series[pd.StringDtype] = pa.Field(nullable=True)
    ogrs3_score: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=99)
    ogrs_band: Series[pd.StringDtype] = pa.Field(nullable=True)
    rosh_level: Series[pd.StringDtype] = pa.Field(nullable=True)
    mappa_eligible: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    mappa_category: Series[pd.Int64Dtype] = pa.Field(nullable=True, isin=[1, 2, 3])
    source_file: Series[pd.StringDtype] = pa.Field(nullable=False)
    source_line: Series[pd.Int64Dtype] = pa.Field(nullable=False, ge=2)

    class Config:
        strict = True
        ordered = True

    @pa.check("age", name="age_at_least_18")
    def age_at_least_18(cls, age: Series[pd.Int64Dtype]) -> Series[bool]:
        return age.isna() | age.ge(18).fillna(False)

    @pa.dataframe_check(name="mappa_eligible_only_nps")
    def mappa_eligible_only_nps(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["mappa_eligible"].eq(True) & df["provider"].ne("NPS")).fillna(False)

    @pa.dataframe_check(name="mappa_category_only_when_eligible")
    def mappa_category_only_when_eligible(cls, df: pd.DataFrame) -> Series[bool]:
        return df["mappa_category"].isna() | df["mappa_eligible"].eq(True).fillna(False)

    @pa.dataframe_check(name="age_group_agrees_with_age")
    def age_group_agrees_with_age(cls, df: pd.DataFrame) -> Series[bool]:
        return df["age"].isna().eq(df["age_group"].isna())

    @pa.dataframe_check(name="case_id_unique_within_area")
    def case_id_unique_within_area(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["area", "case_id"], keep=False)


class IngestedCaseSchema(CaseRecordSchema):
    """A case during ingestion: the record plus fields that are checked, then dropped."""

    sentence_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    pcc_area_matches: Series[pd.BooleanDtype] = pa.Field(nullable=False)
    provider_name_matches: Series[pd.BooleanDtype] = pa.Field(nullable=False)
    inspection_matches_file: Series[pd.BooleanDtype] = pa.Field(nullable=False)
    read_problem: Series[pd.StringDtype] = pa.Field(nullable=True)
    value_problem: Series[pd.StringDtype] = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = False

    @pa.check("read_problem", name="row_read_cleanly")
    def row_read_cleanly(cls, problem: Series[pd.StringDtype]) -> Series[bool]:
        return problem.isna()

    @pa.check("value_problem", name="values_in_their_domains")
    def values_in_their_domains(cls, problem: Series[pd.StringDtype]) -> Series[bool]:
        return problem.isna()

    @pa.check("sentence_date", name="sentence_date_known")
    def sentence_date_known(cls, sentenced: Series[pd.Timestamp]) -> Series[bool]:
        return sentenced.notna()

    @pa.dataframe_check(name="sentence_before_fieldwork")
    def sentence_before_fieldwork(cls, df: pd.DataFrame) -> Series[bool]:
        return df["sentence_date"].isna() | (df["sentence_date"] < df["fieldwork_start"])

    @pa.check("provider_name_matches", name="provider_name_matches_area")
    def provider_name_matches_area(cls, matches: Series[pd.BooleanDtype]) -> Series[bool]:
        return matches.fillna(False).astype(bool)

    @pa.check("pcc_area_matches", name="pcc_area_matches_folder")
    def pcc_area_matches_folder(cls, matches: Series[pd.BooleanDtype]) -> Series[bool]:
        return matches.fillna(False).astype(bool)

    @pa.check("inspection_matches_file", name="inspection_id_matches_file")
    def inspection_id_matches_file(cls, matches: Series[pd.BooleanDtype]) -> Series[bool]:
        return matches.fillna(False).astype(bool)


def _domain_checks(domains: RecordDomains) -> tuple[dict, list[pa.Check]]:
    columns = {
        column: {"checks": [pa.Check.isin(list(values))]} for column, values in domains.allowed
    }
    floors, high = domains.ogrs_band_floors, list(domains.high_rosh_levels)

    def ogrs_band_agrees_with_score(df: pd.DataFrame) -> pd.Series:
        expected = _band_for_score(df["ogrs3_score"], floors)
        same = expected.eq(df["ogrs_band"]).fillna(False)
        return same | (expected.isna() & df["ogrs_band"].isna())

    def crc_never_high_rosh(df: pd.DataFrame) -> pd.Series:
        return ~(df["provider"].eq("CRC") & df["rosh_level"].isin(high)).fillna(False)

    checks = [
        pa.Check(ogrs_band_agrees_with_score, name="ogrs_band_agrees_with_score"),
        pa.Check(crc_never_high_rosh, name="crc_never_high_rosh"),
    ]
    return columns, checks


def _with_domains(model: type[pa.DataFrameModel], domains: RecordDomains) -> pa.DataFrameSchema:
    columns, checks = _domain_checks(domains)
    schema = model.to_schema().update_columns(columns)
    judgements = {
        answer: pa.Column(pd.BooleanDtype(), nullable=True, name=answer)
        for answer in domains.answers
    }
    # The judgements go between the case columns and the source columns, as in the stored record.
    rest = {name: column for name, column in schema.columns.items() if name not in CASE_COLUMNS}
    schema.columns = {
        **{name: schema.columns[name] for name in CASE_COLUMNS},
        **judgements,
        **rest,
    }
    schema.checks = [*schema.checks, *checks]
    return schema


@lru_cache(maxsize=8)
def case_record_schema(domains: RecordDomains) -> pa.DataFrameSchema:
    """The whole contract of a stored case record: `CaseRecordSchema` plus the domain rules."""
    return _with_domains(CaseRecordSchema, domains)


@lru_cache(maxsize=8)
def ingested_case_schema(domains: RecordDomains) -> pa.DataFrameSchema:
    """The whole contract of a case during ingestion: `IngestedCaseSchema` plus the domain rules."""
    return _with_domains(IngestedCaseSchema, domains)


@lru_cache(maxsize=8)
def schema_digest(domains: RecordDomains) -> str:
    """What a case record was validated under: the domains, the schema and this module's code.

    Cases validated under the digest the pooling computes now need not be validated again;
    any change of reference domains, columns, types or rules (this module) changes it.
    """
    schema = case_record_schema(domains)
    text = "\n".join([repr(domains), repr(schema), inspect.getsource(sys.modules[__name__])])
    return hashlib.sha256(text.encode()).hexdigest()[:16]
