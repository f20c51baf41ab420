"""One area's kept cases, quarantine and accounting from all its raw extract rows."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from probation_pipeline.records.accounting import account_rows
from probation_pipeline.records.canonical import type_raw_rows
from probation_pipeline.records.columns import FormLayout
from probation_pipeline.records.dedup import (
    CONFLICTING_DUPLICATE,
    drop_exact_duplicates,
    split_conflicting_duplicates,
    supersede_earlier_inspections,
)
from probation_pipeline.records.schema import ingested_case_schema, record_domains
from probation_pipeline.records.validation import quarantine_rows, rules_broken
from probation_pipeline.reference import Reference


@dataclass(frozen=True)
class AreaCases:
    """Kept cases (`RecordDomains.columns`), quarantined rows (QuarantineSchema), one accounting row."""

    cases: pd.DataFrame
    quarantine: pd.DataFrame
    accounting: pd.DataFrame


def prepare_area_cases(
    area: str, raw: pd.DataFrame, reference: Reference, form_versions: Collection[FormLayout]
) -> AreaCases:
    """Latest inspection only, exact duplicates once, conflicts and rule-breakers quarantined.

    `raw` holds every row the reader produced for the area's files (`raw_extract_columns`);
    `form_versions` are the versions the reader knows (`extracts.versions.registered_versions()`):
    their names and judgements, with the questions of `reference`, make the record's columns.
    """
    raw = raw.reset_index(drop=True)
    latest, superseded = supersede_earlier_inspections(raw)
    unique, duplicates = drop_exact_duplicates(latest)
    single, conflicts = split_conflicting_duplicates(unique)

    domains = record_domains(reference, form_versions)
    typed = type_raw_rows(single, reference, domains.answers)
    broken = rules_broken(typed, ingested_case_schema(domains))
    failing = typed.index.isin(broken.index)
    cases = typed.loc[~failing, list(domains.columns)].reset_index(drop=True)
    quarantine = pd.concat(
        [
            quarantine_rows(conflicts, CONFLICTING_DUPLICATE),
            quarantine_rows(single.loc[failing], broken.reindex(single.index[failing])),
        ],
        ignore_index=True,
    ).sort_values(["source_file", "source_line"], ignore_index=True)
    accounting = account_rows(
        area,
        len(raw),
        superseded=len(superseded),
        exact_duplicates=len(duplicates),
        quarantined=len(quarantine),
        kept=len(cases),
    )
    return AreaCases(cases=cases, quarantine=quarantine, accounting=accounting)
