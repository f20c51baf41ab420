"""`publish_publication`: write `data/published/<publication_id>/` and move `latest` to it.

Readers never see a half-written publication: everything is built in a hidden staging folder inside
`published_dir` (same filesystem), fsynced, then renamed into place in one step; `latest` is a
symlink replaced atomically with `os.replace`, mirrored by a `LATEST` text file for tools that do not
follow symlinks. A publication folder is never modified once renamed into place.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from probation_pipeline.digests import sha256_file
from probation_pipeline.publish.bundle import PublicationBundle
from probation_pipeline.publish.changes import CHANGES_NAME, ChangeSummary, describe_changes
from probation_pipeline.publish.data_files import published_frames, write_data_files
from probation_pipeline.publish.manifest import (
    MANIFEST_NAME,
    build_manifest,
    manifest_json,
    publication_id,
)
from probation_pipeline.publish.sheets import workbook_model

LATEST_LINK = "latest"
LATEST_FILE = "LATEST"
WORKBOOK_NAME = "tables.xlsx"
ODS_NAME = "tables.ods"
REPORT_NAME = "report.html"
_STAGING_PREFIX = ".staging-"
STAGING_MAX_AGE_SECONDS = 24 * 60 * 60


class PublicationConflictError(RuntimeError):
    """A folder with this publication id exists but holds different data files."""


@dataclass(frozen=True)
class PublishedResult:
    """What `publish_publication` did.

    `created` is False when an identical publication already existed and was kept as it was.
    `files` maps each file of the publication folder (except the manifest) to its SHA-256, as
    listed in its manifest. `changes` summarises `changes.md`, None when there was nothing to
    compare with (first publication, or the same publication again).
    """

    publication_id: str
    folder: Path
    previous_publication_id: str | None
    created: bool
    files: Mapping[str, str]
    changes: ChangeSummary | None


def publish_publication(bundle: PublicationBundle, published_dir: Path) -> PublishedResult:
    """Write the publication for `bundle` under `published_dir` and point `latest` at it.

    The folder `<publication_id>/` holds tables.xlsx and tables.ods, judgement_tables/ratings/
    model_steps/model_coefficients/model_summaries as .csv and .parquet, data_dictionary.csv,
    report.html, manifest.json and, when a different publication was latest before, changes.md. If `<publication_id>/` already exists with
    the same data files it is kept untouched (`created=False`); `latest` is moved to it either way.

    Raises PublicationConflictError if the existing folder's data files differ (which a
    content-derived id makes possible only by editing a published folder by hand), and
    PublicationBundleError (at bundle construction) for a bundle that breaks its contract.
    """
    published_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(published_dir)
    previous_id = read_latest(published_dir)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=published_dir))
    try:
        # mkdtemp makes the folder private (0700); a publication is for everyone to read.
        staging.chmod(0o755)
        frames = published_frames(bundle)
        data_files = write_data_files(frames, staging, bundle.spec)
        csv_digests = {name: digest for name, digest in data_files.items() if name.endswith(".csv")}
        pub_id = publication_id(
            bundle.latest_fieldwork.strftime("%Y-%m"), bundle.inputs, csv_digests
        )
        final = published_dir / pub_id
        if final.exists():
            shutil.rmtree(staging)
            return _keep_existing(published_dir, final, csv_digests, previous_id)

        # The writers import matplotlib, gptables and odfpy: only a new publication needs them.
        from probation_pipeline.publish.ods import write_ods
        from probation_pipeline.publish.report import render_report
        from probation_pipeline.publish.workbook import write_workbook

        model = workbook_model(bundle, frames, pub_id)
        write_workbook(bundle, frames, pub_id, staging / WORKBOOK_NAME, model)
        write_ods(model, staging / ODS_NAME, bundle.latest_fieldwork)
        (staging / REPORT_NAME).write_text(
            render_report(bundle, frames, pub_id), encoding="utf-8", newline="\n"
        )
        changes = None
        if previous_id is not None and previous_id != pub_id:
            text, changes = describe_changes(
                published_dir / previous_id, staging, previous_id, pub_id, bundle.inputs
            )
            (staging / CHANGES_NAME).write_text(text, encoding="utf-8", newline="\n")
        documents = {
            name: sha256_file(staging / name)
            for name in (WORKBOOK_NAME, ODS_NAME, REPORT_NAME, CHANGES_NAME)
            if (staging / name).exists()
        }
        manifest = build_manifest(bundle, pub_id, previous_id, data_files, documents)
        (staging / MANIFEST_NAME).write_text(
            manifest_json(manifest), encoding="utf-8", newline="\n"
        )
        _fsync_folder(staging)
        try:
            os.rename(staging, final)
        except OSError:
            # Another run published the same id between our check and our rename.
            if not final.is_dir():
                raise
            shutil.rmtree(staging)
            return _keep_existing(published_dir, final, csv_digests, previous_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_directory(published_dir)
    point_latest(published_dir, pub_id)
    return PublishedResult(
        publication_id=pub_id,
        folder=final,
        previous_publication_id=previous_id,
        created=True,
        files={**data_files, **documents},
        changes=changes,
    )


def read_latest(published_dir: Path) -> str | None:
    """The publication id `latest` points at, or None if there is none (or it is dangling)."""
    link = published_dir / LATEST_LINK
    if link.is_symlink():
        target = Path(os.readlink(link)).name
    elif (published_dir / LATEST_FILE).is_file():
        target = (published_dir / LATEST_FILE).read_text(encoding="utf-8").strip()
    else:
        return None
    return target if target and (published_dir / target).is_dir() else None


def point_latest(published_dir: Path, pub_id: str) -> None:
    """Atomically make `latest` (relative symlink) and `LATEST` (text file) name `pub_id`."""
    # Unique per call, so concurrent publishers never share a temporary name.
    suffix = f"{os.getpid()}-{secrets.token_hex(4)}"
    temporary_link = published_dir / f".{LATEST_LINK}-{suffix}"
    if temporary_link.is_symlink() or temporary_link.exists():
        temporary_link.unlink()
    os.symlink(pub_id, temporary_link)
    os.replace(temporary_link, published_dir / LATEST_LINK)
    temporary_file = published_dir / f".{LATEST_FILE}-{suffix}"
    with temporary_file.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(f"{pub_id}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary_file, published_dir / LATEST_FILE)
    _fsync_directory(published_dir)


def _keep_existing(
    published_dir: Path, final: Path, csv_digests: Mapping[str, str], previous_id: str | None
) -> PublishedResult:
    manifest_path = final / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        listed = {
            entry["path"]: entry["sha256"]
            for group in manifest["outputs"].values()
            for entry in group
        }
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PublicationConflictError(
            f"{final}: exists but its {MANIFEST_NAME} cannot be read ({error})"
        ) from error
    differing = sorted(
        name
        for name, digest in csv_digests.items()
        if listed.get(name) != digest or sha256_file(final / name) != digest
    )
    if differing:
        raise PublicationConflictError(
            f"{final}: exists with different data file(s) {differing}; a published folder is "
            "never rewritten - move it aside if it was edited by hand"
        )
    point_latest(published_dir, final.name)
    return PublishedResult(
        publication_id=final.name,
        folder=final,
        previous_publication_id=previous_id,
        created=False,
        files=listed,
        changes=None,
    )


def _remove_abandoned_staging(published_dir: Path) -> None:
    # A killed run can leave its hidden staging folder behind; one older than a day is not in use.
    cutoff = time.time() - STAGING_MAX_AGE_SECONDS
    for staging in published_dir.glob(f"{_STAGING_PREFIX}*"):
        try:
            if staging.is_dir() and staging.stat().st_mtime < cutoff:
                shutil.rmtree(staging, ignore_errors=True)
        except FileNotFoundError:
            pass  # another publisher removed it first


def _fsync_folder(folder: Path) -> None:
    # Data must be on disk before the rename makes it visible, or a crash could publish empty files.
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    _fsync_directory(folder)


def _fsync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
