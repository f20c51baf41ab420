"""`manifest.json` and the publication id.

The publication id is `<YYYY-MM of latest fieldwork>-<12 hex digits>`, the digits a SHA-256 over the
input files' digests and the data files' digests. Same inputs and same code give the same id (and,
by construction, the same data files); a changed input, or a code or reference change that moves a
published number, gives a new id, so a published folder is never rewritten in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from probation_pipeline.publish.bundle import InputFile, PublicationBundle

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1

# Libraries whose version can change a published byte or number.
DEPENDENCIES: tuple[str, ...] = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "pyarrow",
    "gptables",
    "xlsxwriter",
    "matplotlib",
    "pandera",
    "dagster",
)
PACKAGE = "probation_pipeline"


def publication_id(
    latest_fieldwork_month: str, inputs: Sequence[InputFile], data_digests: Mapping[str, str]
) -> str:
    """Content-derived id: `<YYYY-MM>-<first 12 hex of SHA-256 of inputs and data files>`.

    Only the CSV data files should be passed in `data_digests`: their bytes depend on the numbers
    alone, whereas Parquet, xlsx and SVG embed library versions.
    """
    payload = json.dumps(
        {
            "inputs": sorted((item.path, item.sha256) for item in inputs),
            "data": sorted(data_digests.items()),
        },
        sort_keys=True,
    )
    return f"{latest_fieldwork_month}-{hashlib.sha256(payload.encode()).hexdigest()[:12]}"


REVISION_VARIABLE = "PROBATION_CODE_REVISION"


def code_revision() -> str | None:
    """The git commit of the code, or None when it cannot be known.

    `PROBATION_CODE_REVISION` wins (an image built without `.git` can carry it); otherwise
    `git rev-parse HEAD` in the package's folder, with `+modified` when the work tree differs.
    """
    given = os.environ.get(REVISION_VARIABLE, "").strip()
    if given:
        return given
    folder = Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+modified" if head and status else (head or None)


def package_versions() -> dict[str, str | None]:
    """Installed versions of this package and its result-shaping dependencies (None if absent)."""
    versions: dict[str, str | None] = {}
    for name in (PACKAGE, *DEPENDENCIES):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def build_manifest(
    bundle: PublicationBundle,
    publication_id: str,
    previous_publication_id: str | None,
    data_files: Mapping[str, str],
    document_files: Mapping[str, str],
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict.

    `data_files` (CSV, Parquet) are byte-identical whenever the inputs and code are; `document_files`
    (xlsx, HTML, changes.md) are byte-identical for the same inputs, code and library versions, and
    changes.md also depends on which publication came before. `generated_at` (default: now,
    UTC) and the code revision are recorded here only: neither enters the publication id.
    """
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    versions = package_versions()
    return {
        "manifest_format": MANIFEST_FORMAT,
        "publication_id": publication_id,
        "previous_publication_id": previous_publication_id,
        "latest_fieldwork": bundle.latest_fieldwork.isoformat(),
        "generated_at": generated.isoformat().replace("+00:00", "Z"),
        "inputs": [
            {"path": item.path, "sha256": item.sha256, "rows": item.rows}
            for item in sorted(bundle.inputs, key=lambda item: item.path)
        ],
        "row_accounting": bundle.row_accounting.as_dict(),
        "code": {
            "package": PACKAGE,
            "version": versions.pop(PACKAGE),
            "revision": bundle.code_revision,
            "python": platform.python_version(),
        },
        "dependencies": versions,
        "outputs": {
            "data_files": [
                {"path": name, "sha256": digest} for name, digest in sorted(data_files.items())
            ],
            "documents": [
                {"path": name, "sha256": digest} for name, digest in sorted(document_files.items())
            ],
        },
    }


def manifest_json(manifest: Mapping[str, Any]) -> str:
    """Stable serialisation: sorted keys, two-space indent, trailing newline."""
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
