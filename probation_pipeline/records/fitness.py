"""Data-fitness gate: is one area's latest inspection fit to be published? (issue 11)

An area fails the gate when its latest inspection keeps no case, or loses more than the configured
share of that inspection's rows to quarantine (`data/reference/fitness.yaml`). The failure names
the file, the share lost and the most frequent rules, so that an area never goes silently
missing or shrunk from the national tables.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from probation_pipeline.records.area import AreaCases
from probation_pipeline.records.dedup import file_inspection_ids

FITNESS_FILE = "fitness.yaml"
DEFAULT_MAX_QUARANTINE_SHARE = 0.10
DEFAULT_RULES_NAMED = 3


@dataclass(frozen=True)
class FitnessGate:
    """`max_quarantine_share` in [0, 1]; `rules_named` > 0."""

    max_quarantine_share: float = DEFAULT_MAX_QUARANTINE_SHARE
    rules_named: int = DEFAULT_RULES_NAMED

    @classmethod
    def from_mapping(cls, config: dict[str, Any] | None) -> FitnessGate:
        config = config or {}
        unknown = set(config) - {"max_quarantine_share", "rules_named"}
        if unknown:
            raise ValueError(f"{FITNESS_FILE}: unknown setting(s) {sorted(unknown)}")
        gate = cls(
            max_quarantine_share=float(
                config.get("max_quarantine_share", DEFAULT_MAX_QUARANTINE_SHARE)
            ),
            rules_named=int(config.get("rules_named", DEFAULT_RULES_NAMED)),
        )
        if not 0.0 <= gate.max_quarantine_share <= 1.0 or gate.rules_named < 1:
            raise ValueError(
                f"{FITNESS_FILE}: need 0 <= max_quarantine_share <= 1, rules_named >= 1"
            )
        return gate

    @classmethod
    def load(cls, reference_folder: Path) -> FitnessGate:
        """The gate of `reference_folder/fitness.yaml` (the defaults when there is no file)."""
        path = Path(reference_folder) / FITNESS_FILE
        return cls.from_mapping(yaml.safe_load(path.read_text()) if path.exists() else None)


@dataclass(frozen=True)
class Unfit:
    """Why an area's latest inspection is not fit to publish."""

    area: str
    files: tuple[str, ...]
    rows: int
    quarantined: int
    kept: int
    top_rules: tuple[tuple[str, int], ...]

    @property
    def share(self) -> float:
        return self.quarantined / self.rows if self.rows else 1.0

    def describe(self, gate: FitnessGate) -> str:
        rules = ", ".join(f"{rule} ({count})" for rule, count in self.top_rules) or "none"
        what = (
            "keeps no case"
            if self.kept == 0
            else f"loses more than the {gate.max_quarantine_share:.0%} allowed ({FITNESS_FILE})"
        )
        return (
            f"{', '.join(self.files)}: not fit to publish: {self.quarantined} of {self.rows} rows "
            f"({self.share:.1%}) quarantined, so the latest inspection of {self.area} {what}; "
            f"top rules: {rules}. The area's previous inspection and the previous publication "
            "stay in force"
        )


def rule_counts(quarantine: pd.DataFrame) -> Counter[str]:
    """How many quarantined rows broke each rule (a row breaking several counts for each)."""
    counts: Counter[str] = Counter()
    for rules in quarantine["rule"].dropna().astype(str):
        for rule in rules.split("; "):
            # Rules that carry the failing value ("row_read_cleanly: expected 22 fields, ...")
            # count under their name.
            counts[rule.split(":", 1)[0].strip()] += 1
    return counts


def assess_area(area: str, raw: pd.DataFrame, result: AreaCases, gate: FitnessGate) -> Unfit | None:
    """None when the area's latest inspection is fit to publish, else why not.

    `raw` are the area's raw rows (`raw_extract_columns`), `result` what `prepare_area_cases` made
    of them. The share lost is quarantined rows over the rows of the latest inspection (exact
    duplicates are not lost: they are counted once).
    """
    accounting = result.accounting.iloc[0]
    latest_rows = int(accounting["raw_rows"]) - int(accounting["superseded"])
    kept = int(accounting["kept"])
    lost = int(accounting["quarantined"])
    share = lost / latest_rows if latest_rows else 1.0
    if kept > 0 and share <= gate.max_quarantine_share:
        return None
    inspections = file_inspection_ids(raw)
    latest = (
        raw.loc[inspections == inspections.max(), "source_file"] if len(raw) else raw["source_file"]
    )
    top = tuple(rule_counts(result.quarantine).most_common(gate.rules_named))
    return Unfit(area, tuple(sorted(latest.unique())), latest_rows, lost, kept, top)
