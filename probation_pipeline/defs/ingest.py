"""Ingest: each area's extract files, adapted to canonical raw columns (no personal data)."""

import dagster as dg
import pandas as pd

from probation_pipeline.defs.partitions import area_partitions
from probation_pipeline.defs.resources import ProbationData, PseudonymKey
from probation_pipeline.extracts.arrivals import content_digest
from probation_pipeline.extracts.contents import read_area_extracts
from probation_pipeline.extracts.errors import ExtractError
from probation_pipeline.extracts.reader import RAW_EXTRACT_COLUMNS, list_extract_files

OWNERS = ["team:research-and-analysis"]


@dg.asset(
    partitions_def=area_partitions,
    group_name="ingest",
    kinds={"pandas", "parquet", "csv"},
    owners=OWNERS,
    code_version="1",
    description=(
        "Every inspection extract of one PCC area (`raw/<area>/*.csv`), read in its form version "
        "and adapted to canonical columns. Case references are replaced by keyed pseudonyms and "
        "dates of birth by the age at sentence here, so no personal data goes further."
    ),
)
def raw_extracts(
    context: dg.AssetExecutionContext, data: ProbationData, pseudonym_key: PseudonymKey
) -> pd.DataFrame:
    area = context.partition_key
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
            "sha256": [r.sha256 for r in reads],
        }
    )
    context.add_output_metadata(
        {
            "files": dg.MetadataValue.md(summary.to_markdown(index=False)),
            "file_sha256": {r.file.relative_name: r.sha256 for r in reads},
            "raw_rows": int(summary["rows"].sum()),
            "content_digest": content_digest([(r.file.path.name, r.sha256) for r in reads]),
        }
    )
    frames = [r.rows for r in reads if not r.rows.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in RAW_EXTRACT_COLUMNS})
    return pd.concat(frames, ignore_index=True)
