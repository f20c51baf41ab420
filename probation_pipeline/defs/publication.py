"""Publication: the accessible spreadsheet, data files, report and manifest in data/published/."""

import dagster as dg
import pandas as pd

from probation_pipeline.defs.resources import COLUMNS_ONLY, WAREHOUSE_POOL, ProbationData
from probation_pipeline.publish.assemble import HEADLINE_COLUMNS, PUBLISHED_FRAMES, assemble_bundle
from probation_pipeline.publish.manifest import code_revision
from probation_pipeline.publish.object_store import publish


@dg.asset(
    # Headline counts and the latest fieldwork need eight columns of the subgroup counts (a row
    # per group of cases, not per case).
    ins={
        name: dg.AssetIn(metadata={COLUMNS_ONLY: list(HEADLINE_COLUMNS)})
        if name == "subgroup_counts"
        else dg.AssetIn()
        for name in PUBLISHED_FRAMES
    },
    kinds={"html", "excel", "csv"},
    pool=WAREHOUSE_POOL,
    description="data/published/<publication_id>/ (tables.xlsx, tables.ods, CSV and Parquet of "
    "every table, data_dictionary.csv, report.html, manifest.json, changes.md) and "
    "data/published/latest. Everything it reads is pooled output of the same refresh (its input "
    "manifest is `input_files`). The id derives from the inputs' content, so the same inputs "
    "publish byte-identical data files under the same id.",
)
def publication(
    context: dg.AssetExecutionContext, data: ProbationData, **frames: pd.DataFrame
) -> pd.DataFrame:
    bundle = assemble_bundle(data.reference(), frames, code_revision=code_revision())
    result = publish(bundle, data.paths.published)
    changes = result.changes
    context.add_output_metadata(
        {
            "publication_id": result.publication_id,
            "folder": dg.MetadataValue.path(str(result.folder)),
            "report": dg.MetadataValue.path(str(result.folder / "report.html")),
            "new_publication": result.created,
            "previous_publication": result.previous_publication_id or "none",
            "cells_changed": changes.cells_changed if changes else 0,
            "ratings_changed": changes.ratings_changed if changes else 0,
        }
    )
    files = sorted(result.files.items())
    return pd.DataFrame(
        {
            "publication_id": result.publication_id,
            "file": [name for name, _ in files],
            "sha256": [digest for _, digest in files],
        }
    )
