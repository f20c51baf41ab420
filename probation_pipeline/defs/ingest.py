"""Ingest: each area's extract files, adapted to canonical raw columns (no personal data)."""

import dagster as dg
import pandas as pd

from probation_pipeline.defs.partitions import AREA_BACKFILL, area_partitions
from probation_pipeline.defs.resources import ProbationData, PseudonymKey
from probation_pipeline.extracts.arrivals import content_digest
from probation_pipeline.extracts.contents import read_area_extracts
from probation_pipeline.extracts.errors import ExtractError
from probation_pipeline.extracts.reader import list_extract_files, raw_extract_columns
from probation_pipeline.extracts.versions import registered_versions
from probation_pipeline.records.columns import answer_columns

SOURCE_SHA256 = "source_sha256"
"""Column added to every raw row: the SHA-256 of its file as read, so the publication's input
manifest comes from the rows that were processed, never from the folder as it is later."""


def _read_area(
    context: dg.AssetExecutionContext, data: ProbationData, pseudonym_key: PseudonymKey, area: str
) -> pd.DataFrame:
    pseudonymiser = pseudonym_key.pseudonymiser(context.log)
    try:
        files = list_extract_files(data.paths.raw, area)
        if not files:
            raise dg.Failure(description=f"no extract files in {data.paths.raw / area}")
        reads, errors = read_area_extracts(files, pseudonymiser, data.reference())
    except ExtractError as error:
        errors = [error]
    if errors:
        raise dg.Failure(
            description="\n".join(f"Cannot read extract {error}" for error in errors),
            metadata={
                "file": ", ".join(error.path for error in errors),
                "line": errors[0].line,
                "problem": " | ".join(error.problem for error in errors),
            },
        )
    summary = pd.DataFrame(
        {
            "file": [r.file.relative_name for r in reads],
            "form_version": [r.form_version for r in reads],
            "rows": [len(r.rows) for r in reads],
        }
    )
    context.add_asset_metadata(
        {
            # The table names the files; the full digests are listed once, below it.
            "files": dg.MetadataValue.md(summary.to_markdown(index=False)),
            "file_sha256": {r.file.relative_name: r.sha256 for r in reads},
            "raw_rows": int(summary["rows"].sum()),
            "content_digest": content_digest([(r.file.path.name, r.sha256) for r in reads]),
        },
        partition_key=area,
    )
    frames = [r.rows.assign(**{SOURCE_SHA256: r.sha256}) for r in reads if not r.rows.empty]
    if not frames:
        answers = answer_columns(data.reference().question_ids, registered_versions())
        columns = (*raw_extract_columns(answers), SOURCE_SHA256)
        return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    return pd.concat(frames, ignore_index=True)


@dg.asset(
    partitions_def=area_partitions,
    backfill_policy=AREA_BACKFILL,
    kinds={"csv"},
    description=(
        "Every inspection extract of one PCC area (`raw/<area>/*.csv`), read in its form version "
        "and adapted to canonical columns. Case references are replaced by keyed pseudonyms and "
        "dates of birth by the age at sentence here, so no personal data goes further."
    ),
)
def raw_extracts(
    context: dg.AssetExecutionContext, data: ProbationData, pseudonym_key: PseudonymKey
) -> dict[str, pd.DataFrame]:
    # One area, or every area of a full refresh in one run: a frame per area either way.
    return {area: _read_area(context, data, pseudonym_key, area) for area in context.partition_keys}
