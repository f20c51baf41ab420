"""Column contract of the canonical case record (DESIGN.md sections 5 and 11).

`case_records.parquet` holds exactly `record_columns(answers)`, in the pandas dtypes of
`record_dtypes(answers)` (nullable `string`, `Int64` and `boolean`; <NA> = missing): the case
columns of CASE_DTYPES, the judgements (`answer_columns`), then SOURCE_DTYPES.

The judgements are not listed here: they are the questions of `questions.csv` (in table order), then
the further stages of them the form versions carry (v3's `harm_public_post`, ...), so a new question
is a row of reference data and a form version that asks it. `ogrs_band` and `rosh_level` hold the
unmerged levels (Low, Medium, High, Very high); tables and models merge High/Very high themselves.
A judgement is True (Yes), False (No) or <NA> (not applicable / not asked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import pandas as pd

CASE_DTYPES: dict[str, str] = {
    "case_id": "string",
    "area": "string",
    "inspection_id": "string",
    "fieldwork_start": "datetime64[ns]",
    "form_version": "string",
    "provider": "string",
    "provider_name": "string",
    "supervision_type": "string",
    "sentence_type": "string",
    "gender": "string",
    "age": "Int64",
    "age_group": "string",
    "ethnic_group": "string",
    "ogrs3_score": "Int64",
    "ogrs_band": "string",
    "rosh_level": "string",
    "mappa_eligible": "boolean",
    "mappa_category": "Int64",
}
"""The record's columns before the judgements, in order, with their pandas dtypes."""
SOURCE_DTYPES: dict[str, str] = {"source_file": "string", "source_line": "Int64"}
"""The record's columns after the judgements (where the row came from), with their dtypes."""
JUDGEMENT_DTYPE = "boolean"
CASE_COLUMNS: tuple[str, ...] = tuple(CASE_DTYPES)
SOURCE_COLUMNS: tuple[str, ...] = tuple(SOURCE_DTYPES)

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


def record_dtypes(answers: Sequence[str]) -> dict[str, str]:
    """Column -> pandas dtype of a case record with judgement columns `answers`, in record order."""
    return {**CASE_DTYPES, **dict.fromkeys(answers, JUDGEMENT_DTYPE), **SOURCE_DTYPES}


def record_columns(answers: Sequence[str]) -> tuple[str, ...]:
    """The columns of a case record, in order, for the judgement columns `answers`."""
    return tuple(record_dtypes(answers))


def with_record_dtypes(frame: pd.DataFrame, answers: Sequence[str]) -> pd.DataFrame:
    """`frame`'s record columns (`record_columns(answers)`, in order) in their record dtypes."""
    return frame[list(record_columns(answers))].astype(record_dtypes(answers))
