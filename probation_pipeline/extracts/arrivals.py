"""Which areas have new or changed extracts since the last look (the sensor's domain logic).

The state kept between looks is small: per area, a digest of its files' names, sizes and
modification times (cheap to recompute) and a digest of their contents (the run key). A file
rewritten with the same bytes changes the first but not the second, so it starts no run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from probation_pipeline.digests import sha256_file
from probation_pipeline.extracts.errors import ExtractNameError
from probation_pipeline.extracts.reader import is_ignored_name, parse_extract_name


@dataclass(frozen=True)
class AreaState:
    stat_digest: str
    content_digest: str


@dataclass(frozen=True)
class ArrivalPlan:
    """What one look at the raw folder found."""

    new_areas: list[str] = field(default_factory=list)  # partitions to add
    changed_areas: dict[str, str] = field(default_factory=dict)  # area -> run key
    warnings: list[str] = field(default_factory=list)
    state: dict[str, AreaState] = field(default_factory=dict)  # the cursor to keep


def encode_state(state: dict[str, AreaState]) -> str:
    return json.dumps({a: [s.stat_digest, s.content_digest] for a, s in sorted(state.items())})


def decode_state(cursor: str | None) -> dict[str, AreaState]:
    if not cursor:
        return {}
    return {area: AreaState(*pair) for area, pair in json.loads(cursor).items()}


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def content_digest(files: list[tuple[str, str]]) -> str:
    """The digest of an area's extracts from (file name, SHA-256) pairs, in name order.

    The sensor's run key and the `content_digest` metadata of `raw_extracts` use it, so the sensor
    can tell that an area's current files are the ones last materialised.
    """
    return _digest([f"{name}:{sha}" for name, sha in sorted(files)])


def plan_arrivals(
    raw_dir: Path,
    known_areas: frozenset[str],
    partitions: frozenset[str],
    previous: dict[str, AreaState],
    now: float,
    settle_seconds: float,
) -> ArrivalPlan:
    """Compare the raw folder with `previous` and say which areas need a run.

    `known_areas` are the PCC area slugs of the reference data; a folder with another name is
    skipped with a warning naming its file. `partitions` are the areas already registered. An
    area with a file modified less than `settle_seconds` before `now` is left for a later look,
    as are files being written (`.`-prefixed, `.part`, `.tmp`).
    """
    plan = ArrivalPlan(state=dict(previous))
    if not raw_dir.is_dir():
        plan.warnings.append(f"raw folder {raw_dir} does not exist")
        return plan
    for folder in sorted(p for p in raw_dir.iterdir() if p.is_dir()):
        area = folder.name
        files = sorted(p for p in folder.iterdir() if p.is_file() and not is_ignored_name(p.name))
        if not files:
            continue
        if area not in known_areas:
            plan.warnings.append(
                f"{files[0].relative_to(raw_dir)}: '{area}' is not a PCC area slug in the "
                "reference data; skipped"
            )
            continue
        valid = []
        for path in files:
            try:
                parse_extract_name(path)
                valid.append(path)
            except ExtractNameError as error:
                plan.warnings.append(f"{path.relative_to(raw_dir)}: {error.problem}; skipped")
        stats = [(p, p.stat()) for p in valid]
        if not stats or any(now - s.st_mtime < settle_seconds for _, s in stats):
            continue  # still settling: look again next time
        stat_digest = _digest([f"{p.name}:{s.st_size}:{s.st_mtime_ns}" for p, s in stats])
        before = previous.get(area)
        if before is not None and before.stat_digest == stat_digest:
            continue
        digest = content_digest([(p.name, sha256_file(p)) for p, _ in stats])
        plan.state[area] = AreaState(stat_digest, digest)
        if area not in partitions:
            plan.new_areas.append(area)
        if before is None or before.content_digest != digest or area not in partitions:
            plan.changed_areas[area] = f"{area}:{digest}"
    return plan
