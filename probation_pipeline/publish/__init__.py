"""Publication writers: spreadsheet, tidy data files, HTML report, manifest and changes.

The `publication` asset fills a `PublicationBundle` and calls `publish_publication`; nothing here
imports Dagster.
"""

from probation_pipeline.publish.bundle import (
    Headline,
    InputFile,
    PublicationBundle,
    PublicationBundleError,
    RowAccounting,
)
from probation_pipeline.publish.writer import (
    PublicationConflictError,
    PublishedResult,
    publish_publication,
    read_latest,
)

__all__ = [
    "Headline",
    "InputFile",
    "PublicationBundle",
    "PublicationBundleError",
    "PublicationConflictError",
    "PublishedResult",
    "RowAccounting",
    "publish_publication",
    "read_latest",
]
