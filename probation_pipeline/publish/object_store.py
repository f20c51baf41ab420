"""Publishing into object storage (`PROBATION_PUBLISHED_URL`, e.g. `s3://bucket/published`).

An object store has no rename and no symlink, so the local writer's staging folder and `latest` link
do not carry over. Instead the publication is built by `publish_publication` in a local temporary
folder (with the store's current publication copied beside it, so `changes.md` and the same-id check
work as locally), then uploaded file by file with `manifest.json` last, and only then is the store's
`LATEST` object (one PUT, visible whole) pointed at it. A reader that follows `LATEST` therefore
never sees a half-uploaded publication, and a folder whose `manifest.json` exists is complete.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from upath import UPath

from probation_pipeline.publish.bundle import PublicationBundle
from probation_pipeline.publish.manifest import MANIFEST_NAME
from probation_pipeline.publish.writer import (
    LATEST_FILE,
    PublicationConflictError,
    PublishedResult,
    publish_publication,
)
from probation_pipeline.storage import StorePath, display, is_local, write_bytes_atomically


def publish(bundle: PublicationBundle, published: StorePath) -> PublishedResult:
    """`publish_publication` for a local folder, `publish_to_store` for an object-store URL."""
    if is_local(published):
        return publish_publication(bundle, Path(published))
    return publish_to_store(bundle, published)


def read_store_latest(store: UPath) -> str | None:
    """The publication id the store's `LATEST` names, if that publication is complete."""
    latest = store / LATEST_FILE
    if not latest.exists():
        return None
    pub_id = latest.read_text(encoding="utf-8").strip()
    return pub_id if pub_id and (store / pub_id / MANIFEST_NAME).exists() else None


def _listed_digests(manifest_text: str) -> dict[str, str]:
    manifest = json.loads(manifest_text)
    return {
        entry["path"]: entry["sha256"] for group in manifest["outputs"].values() for entry in group
    }


def publish_to_store(bundle: PublicationBundle, store: UPath) -> PublishedResult:
    """Write the publication for `bundle` under `store` and point the store's `LATEST` at it."""
    previous_id = read_store_latest(store)
    with tempfile.TemporaryDirectory(prefix="probation-publish-") as staging:
        local = Path(staging) / "published"
        local.mkdir()
        if previous_id is not None:
            store.fs.get(f"{(store / previous_id).path}/", str(local / previous_id), recursive=True)
            (local / LATEST_FILE).write_text(f"{previous_id}\n", encoding="utf-8")
        result = publish_publication(bundle, local)
        pub_id = result.publication_id
        target = store / pub_id
        created = False
        if (target / MANIFEST_NAME).exists():
            listed = _listed_digests((target / MANIFEST_NAME).read_text(encoding="utf-8"))
            differing = sorted(
                name
                for name, digest in result.files.items()
                if name.endswith(".csv") and listed.get(name) != digest
            )
            if differing:
                raise PublicationConflictError(
                    f"{display(target)}: exists with different data file(s) {differing}; a "
                    "published folder is never rewritten"
                )
        elif pub_id != previous_id:
            folder = local / pub_id
            files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)
            for path in [*files, folder / MANIFEST_NAME]:
                relative = path.relative_to(folder).as_posix()
                target.fs.put_file(str(path), (target / relative).path)
            created = True
        write_bytes_atomically(
            lambda temporary: temporary.write_text(f"{pub_id}\n", encoding="utf-8"),
            store / LATEST_FILE,
        )
    return PublishedResult(
        publication_id=pub_id,
        folder=target,
        previous_publication_id=previous_id,
        created=created,
        files=result.files,
        changes=result.changes if created else None,
    )
