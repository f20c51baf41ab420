"""Gather the pipeline's aggregates into a PublicationBundle (no Dagster, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from probation_pipeline.publish.bundle import Headline, InputFile, PublicationBundle, RowAccounting
from probation_pipeline.publish.spec import load_spec
from probation_pipeline.publish.synthetic import is_synthetic_sample
from probation_pipeline.ratings.disclosure import apply_ratings_disclosure
from probation_pipeline.records.accounting import pooled_total
from probation_pipeline.reference import Reference
from probation_pipeline.stats.disclosure import apply_disclosure_control, disclosure_notes
from probation_pipeline.stats.subgroups import CASES, MAPPA_ELIGIBLE, MAPPA_KNOWN
from probation_pipeline.stats.tables import render_bulletin_layout

HIGH_ROSH = ("High", "Very high")
HEADLINE_COLUMNS: tuple[str, ...] = (
    "fieldwork_start",
    "provider",
    "gender",
    "supervision_type",
    "rosh_level",
    CASES,
    MAPPA_ELIGIBLE,
    MAPPA_KNOWN,
)
"""The only columns of the subgroup counts the bundle reads (headline counts, latest fieldwork)."""


def headline_counts(counts: pd.DataFrame) -> Headline:
    """The bulletin's summary counts of the kept cases that `counts` counts.

    `counts` is `stats.subgroups.subgroup_counts` (at least HEADLINE_COLUMNS): each row a group of
    `cases` cases, of which `mappa_eligible` MAPPA-eligible and `mappa_known` of known status.
    """
    cases = counts[CASES]

    def among(selected: pd.Series) -> int:
        return int(cases[selected.fillna(False).to_numpy(dtype=bool)].sum())

    return Headline(
        total_cases=int(cases.sum()),
        crc_cases=among(counts["provider"].eq("CRC")),
        nps_cases=among(counts["provider"].eq("NPS")),
        female_cases=among(counts["gender"].eq("Female")),
        post_custody_cases=among(counts["supervision_type"].eq("Post-custody")),
        rosh_high_or_very_high_cases=among(counts["rosh_level"].isin(HIGH_ROSH)),
        mappa_eligible_cases=int(counts[MAPPA_ELIGIBLE].sum()),
        mappa_known_cases=int(counts[MAPPA_KNOWN].sum()),
    )


def list_inputs(files: pd.DataFrame) -> list[InputFile]:
    """Every extract read (superseded ones too), sorted by path.

    `files` has `path` (below the data dir), `sha256` of the bytes read and `rows` (data rows):
    the lineage of the records published, not the folder as it is now.
    """
    ordered = files.sort_values("path")
    return [
        InputFile(str(path), str(sha256), int(rows))
        for path, sha256, rows in zip(
            ordered["path"], ordered["sha256"], ordered["rows"], strict=True
        )
    ]


def national_display(tables: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """National tables get display columns but no suppression (threshold 1: nothing withheld)."""
    return apply_disclosure_control(tables, replace(reference.disclosure, min_base=1))


PUBLISHED_FRAMES: tuple[str, ...] = (
    "subgroup_counts",
    "judgement_tables",
    "ratings",
    "model_steps",
    "model_coefficients",
    "model_summaries",
    "row_accounting",
    "quarantine",
    "input_files",
)
"""The pooled assets a publication is made from (the `publication` asset's inputs)."""


def assemble_bundle(
    reference: Reference, frames: Mapping[str, pd.DataFrame], code_revision: str | None = None
) -> PublicationBundle:
    """The bundle `publish_publication` writes, from the frames named in PUBLISHED_FRAMES.

    Raises KeyError naming a frame that `frames` lacks.
    """
    counts, quarantine = frames["subgroup_counts"], frames["quarantine"]
    row_accounting = frames["row_accounting"]
    tables = national_display(frames["judgement_tables"], reference)
    layouts = {
        question: render_bulletin_layout(tables, question, "n_display", "pct_display")
        for question in reference.question_ids
    }
    total = pooled_total(row_accounting)
    accounting = RowAccounting(
        raw_rows=int(total["raw_rows"]),
        kept=int(total["kept"]),
        superseded=int(total["superseded"]),
        exact_duplicates=int(total["exact_duplicates"]),
        quarantined_by_reason={
            str(rule): int(count) for rule, count in quarantine.groupby("rule").size().items()
        },
    )
    inputs = list_inputs(frames["input_files"])
    return PublicationBundle(
        judgement_tables=tables,
        bulletin_layouts=layouts,
        # Area rows are sub-national tables: withheld and protected from the national rows.
        ratings=apply_ratings_disclosure(frames["ratings"], reference.disclosure),
        model_steps=frames["model_steps"],
        model_coefficients=frames["model_coefficients"],
        model_summaries=frames["model_summaries"],
        questions=reference.questions,
        headline=headline_counts(counts),
        inputs=inputs,
        row_accounting=accounting,
        latest_fieldwork=pd.Timestamp(counts["fieldwork_start"].max()).date(),
        disclosure_notes=disclosure_notes(reference.disclosure),
        spec=load_spec(reference),
        synthetic=is_synthetic_sample(inputs, reference.folder),
        code_revision=code_revision,
        rating_bands=tuple(
            {"rating": band.rating, "min_share": float(band.min_share)}
            for band in reference.ratings.bands
        ),
    )
