"""Reference data: areas, ethnicity mapping, questions, bands, errata, rating and disclosure config.

Everything here is read from `<data dir>/reference/`; nothing is a literal in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

TABLE_VARIABLES: tuple[str, ...] = (
    "gender",
    "age_group",
    "ethnic_group",
    "supervision_type",
    "ogrs_band",
    "rosh_level",
)
"""Subgroup variables of Tables 1-7, in the bulletin's row order (after `all`)."""

PROVIDERS: tuple[str, ...] = ("CRC", "NPS")
MERGED_HIGH = "High/Very high"


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Reference:
    """Lazy accessors for the reference files in one folder."""

    folder: Path

    @cached_property
    def pcc_areas(self) -> pd.DataFrame:
        """area_slug, pcc_area, contract_package_area, crc_owner, nps_division, in_bulletin_2018_01."""
        return _read_csv(self.folder / "pcc_areas.csv")

    @cached_property
    def area_slugs(self) -> frozenset[str]:
        return frozenset(self.pcc_areas["area_slug"])

    @cached_property
    def ethnic_groups(self) -> dict[str, str | None]:
        """ONS 2011 label -> ethnic group; `Not stated` -> None (missing)."""
        frame = _read_csv(self.folder / "ethnicity_ons2011.csv")
        return {row.label: (row.ethnic_group or None) for row in frame.itertuples()}

    @cached_property
    def questions(self) -> pd.DataFrame:
        """question_id, table (int), key_area, short_label, wording; in table order."""
        frame = _read_csv(self.folder / "questions.csv")
        frame["table"] = frame["table"].astype(int)
        return frame.sort_values("table").reset_index(drop=True)

    @cached_property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(self.questions["question_id"])

    @cached_property
    def age_groups(self) -> pd.DataFrame:
        """age_group, min_age, max_age (nullable Int64; the last group is open-ended)."""
        frame = _read_csv(self.folder / "age_groups.csv")
        for column in ("min_age", "max_age"):
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
        return frame

    @cached_property
    def ogrs_bands(self) -> pd.DataFrame:
        """ogrs_band, min_score, max_score (int), table_level (High/Very high merged)."""
        frame = _read_csv(self.folder / "ogrs_bands.csv")
        for column in ("min_score", "max_score"):
            frame[column] = frame[column].astype(int)
        return frame

    @cached_property
    def rosh_levels(self) -> pd.DataFrame:
        """rosh_level, table_level (High/Very high merged); in severity order."""
        return _read_csv(self.folder / "rosh_levels.csv")

    @cached_property
    def supervision_types(self) -> dict[str, str]:
        """sentence_type -> supervision_type."""
        frame = _read_csv(self.folder / "supervision_types.csv")
        return dict(zip(frame["sentence_type"], frame["supervision_type"], strict=True))

    @cached_property
    def bulletin_tables(self) -> pd.DataFrame:
        """The published Tables 1-7 exactly as printed (before errata)."""
        return _read_csv(self.folder / "bulletin_tables.csv")

    @cached_property
    def errata(self) -> pd.DataFrame:
        return _read_csv(self.folder / "errata.csv")

    @cached_property
    def headline_counts(self) -> pd.DataFrame:
        return _read_csv(self.folder / "headline_counts.csv")

    @cached_property
    def ratings_config(self) -> dict[str, Any]:
        return yaml.safe_load((self.folder / "ratings.yaml").read_text())

    @cached_property
    def disclosure_config(self) -> dict[str, Any]:
        return yaml.safe_load((self.folder / "disclosure.yaml").read_text())

    @cached_property
    def operations_config(self) -> dict[str, Any]:
        """Sensor and schedule settings (`operations.yaml`)."""
        return yaml.safe_load((self.folder / "operations.yaml").read_text())

    def table_levels(self, variable: str) -> tuple[str, ...]:
        """Levels of a table variable in the bulletin's row order (as in bulletin_tables.csv)."""
        tables = self.bulletin_tables
        levels = tables.loc[tables["variable"] == variable, "level"]
        return tuple(dict.fromkeys(levels))
