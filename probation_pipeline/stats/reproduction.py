"""Reproduction of Bulletin 2018/01: do the judgement tables give every published cell?

The bulletin prints n and a one-decimal % yes; the yes count behind each printed cell is the unique
integer that rounds half-up to the printed percentage (CONSISTENCY.md (b)). Errata (errata.csv) are
applied before comparing. The comparison only means something when the case records are exactly the
bulletin's inspections; that scope is configuration (`bulletin_2018_01.yaml`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from probation_pipeline.reference import Reference
from probation_pipeline.stats.rounding import implied_yes
from probation_pipeline.stats.subgroups import CASES

CELL_KEYS: tuple[str, ...] = ("question_id", "variable", "level", "provider")
COMPARISON_COLUMNS: tuple[str, ...] = (
    "table",
    *CELL_KEYS,
    "expected_n",
    "expected_yes",
    "actual_n",
    "actual_yes",
    "matches",
    "printed_pct",
    "actual_pct",
)


class ErratumError(ValueError):
    """An erratum does not match exactly one printed cell, or its printed value differs."""


@dataclass(frozen=True)
class BulletinScope:
    """Which case records count as "the bulletin's inspections" (from bulletin_2018_01.yaml)."""

    publication_id: str
    areas: frozenset[str]
    fieldwork_start_from: dt.date
    fieldwork_start_to: dt.date
    one_inspection_per_area: bool


def load_bulletin_scope(reference: Reference) -> BulletinScope:
    """The bulletin's scope (`Reference.bulletin`); its areas from pcc_areas.csv."""
    config = reference.bulletin
    areas = reference.pcc_areas
    in_bulletin = areas[config.areas_column].str.strip().str.lower() == "yes"
    return BulletinScope(
        publication_id=config.publication_id,
        areas=frozenset(areas.loc[in_bulletin, "area_slug"]),
        fieldwork_start_from=config.fieldwork_start_from,
        fieldwork_start_to=config.fieldwork_start_to,
        one_inspection_per_area=config.one_inspection_per_area,
    )


def bulletin_applies(records: pd.DataFrame, reference: Reference) -> tuple[bool, str]:
    """Whether `records` are exactly the bulletin's inspections, and why (a sentence for the UI).

    True when the set of areas equals the bulletin's areas (pcc_areas.csv), each area holds one
    inspection (if so configured) and every case's fieldwork_start lies in the configured window
    (inclusive). Otherwise False with the first reason found. `records` may also be subgroup
    counts (`stats.subgroups.subgroup_counts`): a row per group, its cases in `cases`. Raises
    KeyError when `area`, `inspection_id` or `fieldwork_start` is missing.
    """
    missing = [c for c in ("area", "inspection_id", "fieldwork_start") if c not in records.columns]
    if missing:
        raise KeyError(f"case records lack the columns the bulletin scope needs: {missing}")
    scope = load_bulletin_scope(reference)
    if records.empty:
        return False, "does not apply: there are no case records"
    areas = set(records["area"].dropna())
    if areas != scope.areas:
        extra = sorted(areas - scope.areas)
        absent = sorted(scope.areas - areas)
        return False, (
            f"does not apply: the areas differ from the {len(scope.areas)} areas of "
            f"{scope.publication_id} (not in the bulletin: {extra}; missing: {absent})"
        )
    if scope.one_inspection_per_area:
        per_area = records.groupby("area", observed=True)["inspection_id"].nunique(dropna=False)
        several = sorted(per_area.index[per_area > 1])
        if several:
            return False, f"does not apply: several inspections pooled for {several}"
    starts = pd.to_datetime(records["fieldwork_start"])
    window_from = pd.Timestamp(scope.fieldwork_start_from)
    window_to = pd.Timestamp(scope.fieldwork_start_to)
    outside = records.loc[starts.isna() | (starts < window_from) | (starts > window_to)]
    if not outside.empty:
        inspections = sorted(outside["inspection_id"].dropna().astype(str).unique())
        return False, (
            f"does not apply: fieldwork of {inspections or ['(unknown)']} did not start within "
            f"{scope.fieldwork_start_from:%Y-%m-%d} to {scope.fieldwork_start_to:%Y-%m-%d}"
        )
    inspections = records["inspection_id"].nunique()
    cases = int(records[CASES].sum()) if CASES in records.columns else len(records)
    return True, (
        f"applies: {cases:,} cases from {inspections} inspections of the "
        f"{len(scope.areas)} areas of {scope.publication_id}, fieldwork within its window"
    )


def _apply_errata(printed: pd.DataFrame, errata: pd.DataFrame) -> pd.DataFrame:
    corrected = printed.copy()
    corrected["erratum"] = False
    for erratum in errata.itertuples(index=False):
        where = corrected["table"] == erratum.table
        for key in CELL_KEYS:
            where &= corrected[key] == getattr(erratum, key)
        if where.sum() != 1:
            raise ErratumError(f"erratum {erratum} matches {int(where.sum())} printed cells")
        if erratum.field not in ("n", "pct_yes"):
            raise ErratumError(f"erratum field must be n or pct_yes, got {erratum.field!r}")
        current = corrected.loc[where, erratum.field].item()
        if current != erratum.printed:
            raise ErratumError(
                f"erratum expects printed {erratum.field} {erratum.printed!r}, the table has "
                f"{current!r}: {erratum}"
            )
        corrected.loc[where, [erratum.field, "erratum"]] = [erratum.corrected, True]
    return corrected


def expected_cells(reference: Reference) -> pd.DataFrame:
    """The bulletin's published cells as counts, errata applied: one row per non-dash cell (455).

    Columns: table (int), question_id, variable, level, provider, printed_pct (str, as printed),
    expected_n (int), expected_yes (int: the unique count rounding half-up to printed_pct),
    erratum (bool: a correction from errata.csv was applied). Cells printed as a dash (CRC,
    High/Very high RoSH) are not published cells and are left out. Raises ErratumError for an
    erratum that does not fit the printed table, ImpliedCountError for a cell with no unique count.
    """
    printed = _apply_errata(reference.bulletin_tables, reference.errata)
    printed = printed[printed["n"].str.strip() != ""].copy()
    printed["expected_n"] = printed["n"].astype(int)
    printed["expected_yes"] = [
        implied_yes(n, pct)
        for n, pct in zip(printed["expected_n"], printed["pct_yes"], strict=True)
    ]
    printed["table"] = printed["table"].astype(int)
    printed = printed.rename(columns={"pct_yes": "printed_pct"})
    columns = ["table", *CELL_KEYS, "printed_pct", "expected_n", "expected_yes", "erratum"]
    return printed.loc[:, columns].reset_index(drop=True)


def compare_with_bulletin(tables: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Compare pooled judgement tables with every published cell of the bulletin.

    `tables` is the output of `judgement_tables` (one pooled table, no `area` column). Returns one
    row per published cell (COMPARISON_COLUMNS): table, question_id, variable, level, provider,
    expected_n, expected_yes, actual_n, actual_yes (<NA> when the cell is absent from `tables`),
    matches (True when both n and yes agree), printed_pct and actual_pct (for reading). Raises
    ValueError when `tables` holds several areas.
    """
    if "area" in tables.columns and tables["area"].nunique(dropna=False) > 1:
        raise ValueError("compare the pooled table, not a per-area table")
    expected = expected_cells(reference)
    actual = tables.loc[:, [*CELL_KEYS, "n", "yes", "pct_yes"]].rename(
        columns={"n": "actual_n", "yes": "actual_yes", "pct_yes": "actual_pct"}
    )
    for key in CELL_KEYS:
        actual[key] = actual[key].astype(str)
    comparison = expected.merge(actual, on=list(CELL_KEYS), how="left", validate="1:1")
    comparison["actual_n"] = comparison["actual_n"].astype("Int64")
    comparison["actual_yes"] = comparison["actual_yes"].astype("Int64")
    same = (comparison["actual_n"] == comparison["expected_n"]) & (
        comparison["actual_yes"] == comparison["expected_yes"]
    )
    comparison["matches"] = same.fillna(False).astype(bool)
    return comparison.loc[:, list(COMPARISON_COLUMNS)]


def describe_mismatches(comparison: pd.DataFrame) -> list[str]:
    """One sentence per differing cell of a `compare_with_bulletin` result (empty if all match)."""
    return [
        f"Table {row.table} {row.question_id} {row.variable}={row.level} {row.provider}: "
        f"published n={row.expected_n} yes={row.expected_yes} ({row.printed_pct}%), "
        f"pipeline n={row.actual_n} yes={row.actual_yes}"
        for row in comparison.loc[~comparison["matches"]].itertuples(index=False)
    ]
