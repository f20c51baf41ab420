"""Digests of a data dir's warehouse and publication, for byte-identity tests of whole runs."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def outputs(root: Path) -> dict[str, str]:
    """SHA-256 of every data file of the warehouse and the publication, by relative path.

    Names starting with `.` (a killed run's temporary files, which no reader opens) are left
    out; `latest` is recorded as the publication it names. A manifest's `generated_at` is the
    one value that differs by design between runs (the clock, outside the publication id), so
    manifests are compared without it.
    """
    digests = {}
    for folder in ("warehouse", "published"):
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            if any(part.startswith(".") for part in relative.parts):
                continue
            if path.is_symlink():
                digests[str(relative)] = "-> " + os.readlink(path)
            elif path.name == "manifest.json":
                manifest = json.loads(path.read_text(encoding="utf-8"))
                manifest.pop("generated_at")
                digests[str(relative)] = json.dumps(manifest, sort_keys=True)
            elif path.is_file():
                digests[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests
