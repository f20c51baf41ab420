"""Each area's kept cases, quarantine and accounting from all its raw extract rows."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
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
    return prepare_areas({area: raw}, reference, form_versions)[area]


def prepare_areas(
    raws: Mapping[str, pd.DataFrame], reference: Reference, form_versions: Collection[FormLayout]
) -> dict[str, AreaCases]:
    """`prepare_area_cases` of every area of `raws` ({area: its raw rows}), in one pass.

    Superseding and deduplication are per area; typing and validation run once over the rows of
    all areas (each is row by row, and uniqueness is within an area), which costs a fraction of
    one call per area: most of a call's cost does not depend on its rows.
    """
    kept: dict[str, tuple] = {}
    for area, raw in raws.items():
        raw = raw.reset_index(drop=True)
        latest, superseded = supersede_earlier_inspections(raw)
        unique, duplicates = drop_exact_duplicates(latest)
        single, conflicts = split_conflicting_duplicates(unique)
        kept[area] = (raw, superseded, duplicates, single, conflicts)

    singles = [single for _, _, _, single, _ in kept.values()]
    if not singles:
        return {}
    # One frame, areas in blocks: row i of the block of an area is row i of its `single`.
    rows = pd.concat(singles, ignore_index=True)
    domains = record_domains(reference, form_versions)
    typed = type_raw_rows(rows, reference, domains.answers)
    broken = rules_broken(typed, ingested_case_schema(domains))
    failing = typed.index.isin(broken.index)
    bounds = np.cumsum([0, *(len(single) for single in singles)])

    # Quarantine entries once for all areas too, then each area's (by the block its row came
    # from), ordered by file and line.
    areas = list(kept)
    conflicts = [conflicts for *_, conflicts in kept.values()]
    quarantined = pd.concat(
        [
            quarantine_rows(pd.concat(conflicts, ignore_index=True), CONFLICTING_DUPLICATE),
            quarantine_rows(rows.loc[failing], broken.reindex(rows.index[failing])),
        ],
        ignore_index=True,
    )
    owners = np.concatenate(
        [
            np.repeat(np.arange(len(areas)), [len(c) for c in conflicts]),
            np.repeat(np.arange(len(areas)), np.diff(bounds))[failing],
        ]
    )
    by_area = {areas[owner]: entries for owner, entries in quarantined.groupby(owners)}
    empty = quarantined.iloc[0:0]

    results = {}
    for (area, (raw, superseded, duplicates, _, _)), start, end in zip(
        kept.items(), bounds[:-1], bounds[1:], strict=True
    ):
        block = typed.iloc[start:end]
        cases = block.loc[~failing[start:end], list(domains.columns)].reset_index(drop=True)
        quarantine = by_area.get(area, empty).sort_values(
            ["source_file", "source_line"], ignore_index=True
        )
        accounting = account_rows(
            area,
            len(raw),
            superseded=len(superseded),
            exact_duplicates=len(duplicates),
            quarantined=len(quarantine),
            kept=len(cases),
        )
        results[area] = AreaCases(cases=cases, quarantine=quarantine, accounting=accounting)
    return results
