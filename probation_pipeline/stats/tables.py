"""Judgement tables (DESIGN.md section 6): the share of "yes" per question, subgroup and provider.

The tidy long form is the data product; `render_bulletin_layout` and `markdown_preview` are views of
it. Tables use the bulletin's level spellings (`Reference.table_levels`) and merge High/Very high for
OGRS band and RoSH (`with_table_levels`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from probation_pipeline.contracts import StoredFrame, at_most, at_most_check, check_frame, columns
from probation_pipeline.reference import MERGED_HIGH, PROVIDERS, TABLE_VARIABLES, Reference
from probation_pipeline.stats.intervals import wilson_interval
from probation_pipeline.stats.levels import with_table_levels
from probation_pipeline.stats.rounding import percent_half_up_series, round_half_up_array
from probation_pipeline.stats.subgroups import CASES, answer_flags, answered_column, yes_column

ALL_VARIABLE = "all"
ALL_LEVEL = "All cases"
ALL_PROVIDERS = "All"
TABLE_PROVIDERS: tuple[str, ...] = (ALL_PROVIDERS, *PROVIDERS)

STRUCTURALLY_NOT_APPLICABLE: frozenset[tuple[str, str, str]] = frozenset(
    {("CRC", "rosh_level", MERGED_HIGH)}
)
"""(provider, variable, level) cells that cannot exist: CRCs never hold High/Very high RoSH cases
(DESIGN.md section 2; the case-record schema rejects such a case). Shown as not applicable, not 0."""


class JudgementTableSchema(StoredFrame, frame="judgement_tables"):
    """One cell of the judgement tables (`judgement_tables`): see `judgement_tables` for the meanings."""

    question_id: Series[pd.StringDtype] = pa.Field()
    variable: Series[pd.StringDtype] = pa.Field()
    level: Series[pd.StringDtype] = pa.Field()
    provider: Series[pd.StringDtype] = pa.Field(isin=TABLE_PROVIDERS)
    n: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    yes: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    pct_yes: Series[pd.Float64Dtype] = pa.Field(nullable=True, ge=0, le=100)
    ci_lower: Series[pd.Float64Dtype] = pa.Field(nullable=True, ge=0, le=100)
    ci_upper: Series[pd.Float64Dtype] = pa.Field(nullable=True, ge=0, le=100)
    applicable: Series[pd.BooleanDtype] = pa.Field()

    yes_at_most_n = at_most_check("yes", "n")

    @pa.dataframe_check(name="interval_contains_pct_yes")
    @classmethod
    def interval_contains_pct_yes(cls, frame: pd.DataFrame) -> pd.Series:
        return at_most(frame, "ci_lower", "pct_yes") & at_most(frame, "pct_yes", "ci_upper")

    @pa.dataframe_check(name="no_count_where_not_applicable")
    @classmethod
    def no_count_where_not_applicable(cls, frame: pd.DataFrame) -> pd.Series:
        return frame["applicable"].fillna(False).astype(bool) | frame["n"].isna()


class AreaJudgementTableSchema(JudgementTableSchema, frame="area_judgement_tables"):
    """The judgement tables of each area (`area_judgement_tables`): a cell of one area's table."""

    # Object, not string, dtype: the stored Parquet file has always had it. Missing only in the
    # empty grid of no records.
    area: Series[object] = pa.Field(nullable=True)


TABLE_COLUMNS: tuple[str, ...] = columns(JudgementTableSchema)

VARIABLE_LABELS: dict[str, str] = {
    ALL_VARIABLE: "All cases",
    "gender": "Gender",
    "age_group": "Age group",
    "ethnic_group": "Ethnic group",
    "supervision_type": "Supervision type",
    "ogrs_band": "OGRS band",
    "rosh_level": "RoSH level",
}
"""Row-group headings of the bulletin's wide layout (display text only)."""


class UnknownLevelError(ValueError):
    """A case record holds a provider or subgroup value that no table row exists for."""


class ImpossibleCellError(ValueError):
    """Cases were found in a cell that is structurally not applicable (e.g. CRC, High RoSH)."""


def _check_columns(records: pd.DataFrame, question_ids: Collection[str]) -> None:
    required = ["provider", *TABLE_VARIABLES, *question_ids]
    missing = [column for column in required if column not in records.columns]
    if missing:
        raise KeyError(f"case records lack the columns judgement tables need: {missing}")


def _check_levels(counts: pd.DataFrame, reference: Reference) -> None:
    """Fail loudly on values outside the table levels: they would silently vanish from every row.

    `counts` has the table variables (merged) and CASES, the cases of each row.
    """
    cases = counts[CASES]
    if counts["provider"].isna().any():
        # Such a case would count in All but in neither CRC nor NPS: All = CRC + NPS would fail.
        missing = int(cases[counts["provider"].isna()].sum())
        raise UnknownLevelError(f"{missing} case(s) have no provider")
    allowed = {"provider": PROVIDERS} | {v: reference.table_levels(v) for v in TABLE_VARIABLES}
    for column, levels in allowed.items():
        unknown = sorted(set(counts[column].dropna().unique()) - set(levels))
        if unknown:
            raise UnknownLevelError(
                f"column {column!r} holds values with no table row: {unknown}; "
                f"expected one of {list(levels)} or missing"
            )
    for provider, variable, level in STRUCTURALLY_NOT_APPLICABLE:
        cell = ((counts["provider"] == provider) & (counts[variable] == level)).fillna(False)
        count = int(cases[cell.to_numpy(dtype=bool)].sum())
        if count:
            raise ImpossibleCellError(
                f"{count} case(s) with provider {provider} and {variable} {level}: "
                "this cell is structurally not applicable"
            )


def _table_grid(reference: Reference, question_ids: Collection[str]) -> pd.DataFrame:
    """Every (question, variable, level, provider) cell in the bulletin's row order."""
    rows = [(ALL_VARIABLE, ALL_LEVEL)] + [
        (variable, level)
        for variable in TABLE_VARIABLES
        for level in reference.table_levels(variable)
    ]
    return pd.DataFrame(
        [
            (question_id, variable, level, provider)
            for question_id in question_ids
            for variable, level in rows
            for provider in TABLE_PROVIDERS
        ],
        columns=["question_id", "variable", "level", "provider"],
    )


def _record_counts(records: pd.DataFrame, question_ids: Collection[str]) -> pd.DataFrame:
    """Each case as a row of counts: provider, the table variables, CASES (1) and, per question,
    whether it was answered and answered Yes (0/1), as in `stats.subgroups.subgroup_counts`."""
    keys = ["provider", *TABLE_VARIABLES]
    flags = {CASES: np.ones(len(records), dtype=np.int64), **answer_flags(records, question_ids)}
    return pd.concat([records[keys].reset_index(drop=True), pd.DataFrame(flags)], axis=1)


def _answer_counts(
    counts: pd.DataFrame, question_ids: Collection[str], by: Sequence[str] = ()
) -> pd.DataFrame:
    """n (answered) and yes per `by` (e.g. area), question, variable, level and provider.

    One row per group with cases (rows in no particular order: they are joined onto the grid);
    a row whose `by`, provider or variable value is missing counts in no group of that variable
    (a missing demographic still counts in the `all` row).
    """
    answered = [answered_column(question_id) for question_id in question_ids]
    yes = [yes_column(question_id) for question_id in question_ids]
    sums = counts.loc[:, [*answered, *yes]].reset_index(drop=True)
    # Integer codes of every grouping column (-1 where missing): each variable's groups are then
    # an integer groupby, however many rows the counts have.
    group, groups = _combined_codes(counts, by)
    provider, providers = _codes(counts["provider"])
    frames = []
    for variable in (ALL_VARIABLE, *TABLE_VARIABLES):
        if variable == ALL_VARIABLE:
            level, levels = np.zeros(len(counts), dtype=np.int64), np.asarray([ALL_LEVEL], object)
        else:
            level, levels = _codes(counts[variable])
        kept = (group >= 0) & (level >= 0) & (provider >= 0)
        cell = group[kept] * len(levels) + level[kept]
        by_provider = sums[kept].groupby(cell * len(providers) + provider[kept]).sum()
        # All providers: the sum of each cell's providers.
        every_provider = by_provider.groupby(by_provider.index // len(providers)).sum()
        cell_of = np.concatenate(
            [by_provider.index // len(providers), every_provider.index]
        ).astype(np.int64)
        provider_of = np.concatenate(
            [
                providers[by_provider.index % len(providers)],
                np.full(len(every_provider), ALL_PROVIDERS, dtype=object),
            ]
        )
        totals = np.concatenate([by_provider.to_numpy(), every_provider.to_numpy()])
        # One row per group and question, questions varying fastest.
        rows = np.repeat(np.arange(len(cell_of)), len(answered))
        cells = pd.DataFrame(
            {
                **{column: value[cell_of // len(levels)][rows] for column, value in groups},
                "level": levels[cell_of % len(levels)][rows],
                "provider": provider_of[rows],
                "question_id": np.tile(np.asarray(question_ids, dtype=object), len(cell_of)),
                "n": totals[:, : len(answered)].ravel(),
                "yes": totals[:, len(answered) :].ravel(),
                "variable": variable,
            }
        )
        frames.append(cells)
    return pd.concat(frames, ignore_index=True)


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 where missing) and the distinct values as Python objects."""
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _combined_codes(
    counts: pd.DataFrame, by: Sequence[str]
) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    """One code per combination of the `by` columns (-1 where any is missing), and per column
    its value for each combination code."""
    code = np.zeros(len(counts), dtype=np.int64)
    columns = []
    for column in by:
        codes, uniques = _codes(counts[column])
        code = np.where((code < 0) | (codes < 0), -1, code * len(uniques) + codes)
        columns.append((column, codes, uniques))
    combinations, first = np.unique(code[code >= 0], return_index=True)
    dense = np.full(len(counts), -1, dtype=np.int64)
    dense[code >= 0] = np.searchsorted(combinations, code[code >= 0])
    rows = np.flatnonzero(code >= 0)[first]
    return dense, [(column, uniques[codes[rows]]) for column, codes, uniques in columns]


def judgement_tables(
    records: pd.DataFrame, reference: Reference, confidence: float = 0.95
) -> pd.DataFrame:
    """Tidy judgement tables (one per question) from case records: one row per question x subgroup level x provider.

    Input: case records (columns of `records/columns.py`; judgements nullable booleans, <NA> = not
    answered; `ogrs_band`/`rosh_level` unmerged).

    Output columns (TABLE_COLUMNS), rows in the bulletin's order (question table order; `all` then
    gender, age_group, ethnic_group, supervision_type, ogrs_band, rosh_level; levels as in
    bulletin_tables.csv; providers All, CRC, NPS):

    - question_id, variable, level, provider (string): `variable` is the canonical column name,
      `all` with level `All cases` for the whole sample; ogrs_band/rosh_level levels merged.
    - n (Int64): cases that answered the question; yes (Int64): of which Yes.
    - pct_yes (Float64): 100 * yes / n rounded half-up to one decimal from the exact counts.
    - ci_lower, ci_upper (Float64): 95% (`confidence`) Wilson interval of the share, in percent,
      rounded half-up to one decimal.
    - applicable (boolean): False for structurally impossible cells (STRUCTURALLY_NOT_APPLICABLE),
      whose n, yes, pct_yes and interval are <NA> (not 0).

    A cell nobody answered has n = 0, yes = 0 and <NA> percentage and interval. A case with a
    missing subgroup value counts in `All cases` and in no level of that variable.

    Raises KeyError for missing columns, UnknownLevelError for a value with no table row, and
    ImpossibleCellError if cases exist in a structurally impossible cell.
    """
    return check_frame(_tabulate(records, reference, confidence), JudgementTableSchema)


def judgement_tables_from_counts(
    counts: pd.DataFrame, reference: Reference, confidence: float = 0.95
) -> pd.DataFrame:
    """`judgement_tables` of the cases `counts` counts (`stats.subgroups.subgroup_counts`): the
    same frame, from a few thousand rows instead of a row per case."""
    return check_frame(_tabulate_counts(counts, reference, confidence), JudgementTableSchema)


def _tabulate(records: pd.DataFrame, reference: Reference, confidence: float) -> pd.DataFrame:
    _check_columns(records, reference.question_ids)
    return _tabulate_counts(_record_counts(records, reference.question_ids), reference, confidence)


def _tabulate_counts(
    counts: pd.DataFrame, reference: Reference, confidence: float, by: Sequence[str] = ()
) -> pd.DataFrame:
    """The tables of `counts`; with `by`, one full grid per value of those columns (sorted),
    which lead the grid's columns."""
    question_ids = reference.question_ids
    merged = with_table_levels(counts, reference)
    _check_levels(merged, reference)

    grid = _table_grid(reference, question_ids)
    if by:
        groups = merged.loc[:, list(by)].drop_duplicates().sort_values(list(by))
        grid = groups.astype(object).merge(grid, how="cross")
    keys = ["question_id", "variable", "level", "provider"]
    table = grid.merge(
        _answer_counts(merged, question_ids, by), on=[*by, *keys], how="left", validate="1:1"
    )
    table["n"] = table["n"].fillna(0).astype("Int64")
    table["yes"] = table["yes"].fillna(0).astype("Int64")
    not_applicable = np.zeros(len(table), dtype=bool)
    for provider, variable, level in STRUCTURALLY_NOT_APPLICABLE:
        not_applicable |= (
            (table["provider"] == provider)
            & (table["variable"] == variable)
            & (table["level"] == level)
        ).to_numpy(dtype=bool)
    applicable = pd.Series(~not_applicable, index=table.index, dtype="boolean")
    table["applicable"] = applicable
    table.loc[~applicable, ["n", "yes"]] = pd.NA

    table["pct_yes"] = percent_half_up_series(table["yes"], table["n"])
    lower, upper = wilson_interval(
        table["yes"].to_numpy(dtype=float, na_value=np.nan),
        table["n"].to_numpy(dtype=float, na_value=np.nan),
        confidence,
    )
    table["ci_lower"] = pd.array(round_half_up_array(100 * lower), dtype="Float64")
    table["ci_upper"] = pd.array(round_half_up_array(100 * upper), dtype="Float64")
    for column in keys:
        table[column] = table[column].astype("string")
    return table.loc[:, [*by, *TABLE_COLUMNS]]


def area_judgement_tables(
    records: pd.DataFrame, reference: Reference, confidence: float = 0.95
) -> pd.DataFrame:
    """`judgement_tables` applied to each area's cases: columns TABLE_COLUMNS + `area`.

    Areas in sorted order; each area has the full grid of cells, so a question nobody in an area
    answered appears with n = 0. Without records, the grid with a missing area. Raises KeyError when
    `area` is missing, plus the errors of `judgement_tables`.
    """
    if "area" not in records.columns:
        raise KeyError("case records lack the column 'area'")
    _check_columns(records, reference.question_ids)
    counts = _record_counts(records, reference.question_ids)
    counts["area"] = records["area"].reset_index(drop=True)
    return area_judgement_tables_from_counts(counts, reference, confidence)


def area_judgement_tables_from_counts(
    counts: pd.DataFrame, reference: Reference, confidence: float = 0.95
) -> pd.DataFrame:
    """`area_judgement_tables` of the cases `counts` counts (`stats.subgroups.subgroup_counts`)."""
    if "area" not in counts.columns:
        raise KeyError("subgroup counts lack the column 'area'")
    counts = counts[counts["area"].notna()]
    if counts.empty:
        # Without cases, the grid with a missing area.
        tables = _tabulate_counts(counts, reference, confidence)
        return check_frame(tables.assign(area=pd.Series(dtype=object)), AreaJudgementTableSchema)
    # Every area in one pass: the same cells as tabulating each area alone.
    tables = _tabulate_counts(counts, reference, confidence, by=["area"])
    tables["area"] = tables["area"].astype(str).astype(object)
    return check_frame(tables.loc[:, [*TABLE_COLUMNS, "area"]], AreaJudgementTableSchema)


def render_bulletin_layout(
    tables: pd.DataFrame,
    question_id: str,
    n_column: str = "n",
    pct_column: str = "pct_yes",
) -> pd.DataFrame:
    """The bulletin's wide layout of one question: rows by subgroup, n and % yes per provider.

    Columns: variable, group (heading such as "Age group"), level, then `All n`, `All % yes`,
    `CRC n`, `CRC % yes`, `NPS n`, `NPS % yes`, holding `n_column` and `pct_column` of the tidy
    table (pass `n_display`/`pct_display` to render a disclosure-controlled table). Rows keep the
    tidy table's order. Raises KeyError when the question is absent, ValueError when `tables`
    holds more than one area (filter to one area first).
    """
    if "area" in tables.columns and tables["area"].nunique(dropna=False) > 1:
        raise ValueError("render one area at a time: filter `tables` on `area` first")
    rows = tables[tables["question_id"] == question_id]
    if rows.empty:
        raise KeyError(f"no rows for question {question_id!r}")
    order = rows[["variable", "level"]].drop_duplicates().reset_index(drop=True)
    wide = order.copy()
    wide.insert(1, "group", order["variable"].map(VARIABLE_LABELS).fillna(order["variable"]))
    for provider in TABLE_PROVIDERS:
        cells = rows.loc[rows["provider"] == provider, ["variable", "level", n_column, pct_column]]
        cells = cells.rename(columns={n_column: f"{provider} n", pct_column: f"{provider} % yes"})
        wide = wide.merge(cells, on=["variable", "level"], how="left", validate="1:1")
    return wide


def _format_cell(value: object, decimals: int | None) -> str:
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, str):
        return value
    return f"{value:.{decimals}f}" if decimals is not None else f"{int(value):,}"


def _format_pct(applicable: object, pct: object) -> str:
    # Shorthand as in the publication notes: [z] cannot exist, [x] nobody answered.
    if not bool(applicable):
        return "[z]"
    if pd.isna(pct):
        return "[x]"
    return _format_cell(pct, 1)


def markdown_preview(tables: pd.DataFrame, reference: Reference) -> str:
    """A markdown table of the All-cases row of every question (for Dagster UI metadata).

    One line per question (short label from questions.csv), columns n and % yes for All, CRC and
    NPS. Not-applicable percentages show `[z]`, percentages of n = 0 show `[x]`. Expects one area
    (or the pooled table); raises ValueError otherwise.
    """
    if "area" in tables.columns and tables["area"].nunique(dropna=False) > 1:
        raise ValueError("preview one area at a time: filter `tables` on `area` first")
    questions = reference.questions
    labels = dict(zip(questions["question_id"], questions["short_label"], strict=True))
    header = ["Question"] + [f"{p} {m}" for p in TABLE_PROVIDERS for m in ("n", "% yes")]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|",
    ]
    all_rows = tables[tables["variable"] == ALL_VARIABLE]
    for question_id in dict.fromkeys(all_rows["question_id"]):
        cells = all_rows[all_rows["question_id"] == question_id].set_index("provider")
        values = [labels.get(question_id, question_id)]
        for provider in TABLE_PROVIDERS:
            if provider not in cells.index:
                values += ["", ""]
                continue
            cell = cells.loc[provider]
            values.append(_format_cell(cell["n"], None) if cell["applicable"] else "[z]")
            values.append(_format_pct(cell["applicable"], cell["pct_yes"]))
        lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines)
