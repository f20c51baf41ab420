"""Column contract of the canonical case record (DESIGN.md sections 5 and 11).

`case_records.parquet` holds exactly `record_columns(answers)`, with these pandas dtypes:

- strings (`string` dtype, <NA> = missing): case_id, area, inspection_id, form_version, provider,
  provider_name, supervision_type, sentence_type, gender, age_group, ethnic_group, ogrs_band,
  rosh_level, source_file
- fieldwork_start: datetime64[ns]
- Int64 (nullable): age, ogrs3_score, mappa_category, source_line
- boolean (nullable): mappa_eligible and the judgements (`answer_columns`)

The judgements are not listed here: they are the questions of `questions.csv` (in table order), then
the further stages of them the form versions carry (v3's `harm_public_post`, ...), so a new question
is a row of reference data and a form version that asks it. `ogrs_band` and `rosh_level` hold the
unmerged levels (Low, Medium, High, Very high); tables and models merge High/Very high themselves.
A judgement is True (Yes), False (No) or <NA> (not applicable / not asked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

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

CASE_COLUMNS: tuple[str, ...] = (
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
)
"""The record's columns before the judgements."""
SOURCE_COLUMNS: tuple[str, ...] = ("source_file", "source_line")
"""The record's columns after the judgements: where the row came from."""

PERSONAL_COLUMNS: tuple[str, ...] = ("case_ref", "date_of_birth")
"""Never leave ingestion: not in the warehouse, logs, metadata or publications."""


class UnknownJudgementError(ValueError):
    """A form version carries a judgement that is neither a question nor a stage of one."""


class FormLayout(Protocol):
    """What the record needs of a form version (`extracts.versions.FormVersion`)."""

    @property
    def name(self) -> str: ...

    @property
    def answer_columns(self) -> tuple[str, ...]: ...


def answer_columns(
    questions: Sequence[str], form_versions: Iterable[FormLayout]
) -> tuple[str, ...]:
    """The judgement columns of a record: `questions` (questions.csv, table order), then every other
    judgement a form version carries, in registry and file order.

    Such a judgement must be a stage of a question (`<question_id>_<stage>`, as v3's
    `harm_public_post`); anything else is a question missing from questions.csv, or a misspelt one,
    and raises UnknownJudgementError naming the version and the column.
    """
    stages: list[str] = []
    for version in form_versions:
        for column in version.answer_columns:
            if column in questions or column in stages:
                continue
            if not any(column.startswith(f"{question}_") for question in questions):
                raise UnknownJudgementError(
                    f"form version {version.name} maps a column to {column!r}, which is neither a "
                    "question_id of questions.csv nor a stage of one (<question_id>_<stage>): add "
                    "the question to questions.csv or correct the form version"
                )
            stages.append(column)
    return (*questions, *stages)


def record_columns(answers: Sequence[str]) -> tuple[str, ...]:
    """The columns of a case record, in order, for the judgement columns `answers`."""
    return (*CASE_COLUMNS, *answers, *SOURCE_COLUMNS)


def boolean_columns(answers: Sequence[str]) -> tuple[str, ...]:
    """The nullable boolean columns of a case record with judgement columns `answers`."""
    return ("mappa_eligible", *answers)
