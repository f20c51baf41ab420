"""Column contract of the canonical case record (DESIGN.md sections 5 and 11).

`case_records.parquet` holds exactly RECORD_COLUMNS, with these pandas dtypes:

- strings (`string` dtype, <NA> = missing): case_id, area, inspection_id, form_version, provider,
  provider_name, supervision_type, sentence_type, gender, age_group, ethnic_group, ogrs_band,
  rosh_level, source_file
- fieldwork_start: datetime64[ns]
- Int64 (nullable): age, ogrs3_score, mappa_category, source_line
- boolean (nullable): mappa_eligible, the seven judgements, the three v3 `_post` extras

`ogrs_band` and `rosh_level` hold the unmerged levels (Low, Medium, High, Very high); tables and
models merge High/Very high themselves. A judgement is True (Yes), False (No) or <NA> (not applicable / not
asked).
"""

from __future__ import annotations

QUESTION_IDS: tuple[str, ...] = (
    "barriers",
    "diversity",
    "desistance_pre",
    "desistance_post",
    "harm_public",
    "harm_known_adults",
    "harm_children",
)
POST_STAGE_COLUMNS: tuple[str, ...] = (
    "harm_public_post",
    "harm_known_adults_post",
    "harm_children_post",
)

ANSWER_COLUMNS: tuple[str, ...] = (*QUESTION_IDS, *POST_STAGE_COLUMNS)
"""Judgements as the record names them: the seven questions, then the v3 post-stage extras."""

STRING_COLUMNS: tuple[str, ...] = (
    "case_id",
    "area",
    "inspection_id",
    "form_version",
    "provider",
    "provider_name",
    "supervision_type",
    "sentence_type",
    "gender",
    "age_group",
    "ethnic_group",
    "ogrs_band",
    "rosh_level",
    "source_file",
)
INTEGER_COLUMNS: tuple[str, ...] = ("age", "ogrs3_score", "mappa_category", "source_line")
BOOLEAN_COLUMNS: tuple[str, ...] = ("mappa_eligible", *QUESTION_IDS, *POST_STAGE_COLUMNS)

RECORD_COLUMNS: tuple[str, ...] = (
    "case_id",
    "area",
    "inspection_id",
    "fieldwork_start",
    "form_version",
    "provider",
    "provider_name",
    "supervision_type",
    "sentence_type",
    "gender",
    "age",
    "age_group",
    "ethnic_group",
    "ogrs3_score",
    "ogrs_band",
    "rosh_level",
    "mappa_eligible",
    "mappa_category",
    *QUESTION_IDS,
    *POST_STAGE_COLUMNS,
    "source_file",
    "source_line",
)

PERSONAL_COLUMNS: tuple[str, ...] = ("case_ref", "date_of_birth")
"""Never leave ingestion: not in the warehouse, logs, metadata or publications."""
