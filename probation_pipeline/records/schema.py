"""The pandera contract of a case record, with one named check per rule of DESIGN.md section 5.

`CaseRecordSchema` is the stored record (`case_records.parquet`); `IngestedCaseSchema` adds the
fields that exist only during ingestion (sentence date, the reader's problems, the area name as
written) and the rules that need them. Check names read as the rule they enforce; they become the
`rule` of a quarantined row.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

PROVIDERS = ["CRC", "NPS"]
GENDERS = ["Male", "Female"]
SENTENCE_TYPES = ["Community Order", "Suspended Sentence Order", "Licence"]
SUPERVISION_TYPES = ["Community sentence", "Post-custody"]
RISK_LEVELS = ["Low", "Medium", "High", "Very high"]
HIGH_RISK_LEVELS = ["High", "Very high"]
ETHNIC_GROUPS = ["White", "Mixed", "Asian", "Black", "Other"]
AGE_GROUPS = ["18-20", "21-24", "25-29", "30-39", "40-49", "50+"]
FORM_VERSIONS = ["v1", "v2", "v3"]
OGRS_BAND_FLOORS = {"Low": 0, "Medium": 50, "High": 75, "Very high": 90}


def _band_for_score(score: pd.Series) -> pd.Series:
    bands = pd.Series(pd.NA, index=score.index, dtype="string")
    for band, floor in OGRS_BAND_FLOORS.items():
        bands = bands.mask(score.ge(floor).fillna(False), band)
    return bands


class CaseRecordSchema(pa.DataFrameModel):
    """One kept case: the analysis dataset's row (DESIGN.md sections 5 and 11)."""

    case_id: Series[pd.StringDtype] = pa.Field(nullable=False, str_matches=r"^[0-9a-f]{20}$")
    area: Series[pd.StringDtype] = pa.Field(str_matches=r"^[a-z]+(-[a-z]+)*$")
    inspection_id: Series[pd.StringDtype] = pa.Field(str_matches=r"^[a-z-]+-\d{4}-\d{2}$")
    fieldwork_start: Series[pd.Timestamp] = pa.Field(nullable=False)
    form_version: Series[pd.StringDtype] = pa.Field(isin=FORM_VERSIONS)
    provider: Series[pd.StringDtype] = pa.Field(isin=PROVIDERS)
    provider_name: Series[pd.StringDtype] = pa.Field(nullable=False)
    supervision_type: Series[pd.StringDtype] = pa.Field(isin=SUPERVISION_TYPES)
    sentence_type: Series[pd.StringDtype] = pa.Field(isin=SENTENCE_TYPES)
    gender: Series[pd.StringDtype] = pa.Field(isin=GENDERS)
    age: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    age_group: Series[pd.StringDtype] = pa.Field(nullable=True, isin=AGE_GROUPS)
    ethnic_group: Series[pd.StringDtype] = pa.Field(nullable=True, isin=ETHNIC_GROUPS)
    ogrs3_score: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=99)
    ogrs_band: Series[pd.StringDtype] = pa.Field(nullable=True, isin=RISK_LEVELS)
    rosh_level: Series[pd.StringDtype] = pa.Field(nullable=True, isin=RISK_LEVELS)
    mappa_eligible: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    mappa_category: Series[pd.Int64Dtype] = pa.Field(nullable=True, isin=[1, 2, 3])
    barriers: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    diversity: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    desistance_pre: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    desistance_post: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    harm_public: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    harm_known_adults: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    harm_children: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    harm_public_post: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    harm_known_adults_post: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    harm_children_post: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    source_file: Series[pd.StringDtype] = pa.Field(nullable=False)
    source_line: Series[pd.Int64Dtype] = pa.Field(nullable=False, ge=2)

    class Config:
        strict = True
        ordered = True

    @pa.check("age", name="age_at_least_18")
    def age_at_least_18(cls, age: Series[pd.Int64Dtype]) -> Series[bool]:
        return age.isna() | age.ge(18).fillna(False)

    @pa.dataframe_check(name="ogrs_band_agrees_with_score")
    def ogrs_band_agrees_with_score(cls, df: pd.DataFrame) -> Series[bool]:
        expected = _band_for_score(df["ogrs3_score"])
        same = expected.eq(df["ogrs_band"]).fillna(False)
        return same | (expected.isna() & df["ogrs_band"].isna())

    @pa.dataframe_check(name="crc_never_high_rosh")
    def crc_never_high_rosh(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["provider"].eq("CRC") & df["rosh_level"].isin(HIGH_RISK_LEVELS)).fillna(False)

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
