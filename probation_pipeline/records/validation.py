"""Lazy validation: failing rows go to quarantine with every rule they broke; the rest carry on."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from probation_pipeline.contracts import check_frame
from probation_pipeline.records.accounting import QuarantineSchema
from probation_pipeline.records.canonical import file_stems

DESCRIBED_CHECKS = ("row_read_cleanly", "values_in_their_domains")


class SchemaStructureError(Exception):
    """The frame itself (not some rows) does not fit the schema: a bug, not bad data."""


def rules_broken(rows: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.Series:
    """For each row index that breaks a rule of `schema` (records/schema.ingested_case_schema),
    the rules joined by '; '."""
    try:
        schema.validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        failures = errors.failure_cases
        if failures["index"].isna().any():
            raise SchemaStructureError(
                failures[failures["index"].isna()].to_string(max_rows=20)
            ) from None
        checks = failures["check"].astype(str)
        columns = failures["column"].astype("string")
        # A column check's name does not say which column; a frame check's name says it all.
        named = checks.where(
            columns.isna() | checks.str.contains(r"^[a-z_0-9]+$") & ~checks.isin(["not_nullable"]),
            columns + " " + checks,
        )
        # The reader's and parser's problems are the failing values themselves: say them.
        described = failures["check"].isin(DESCRIBED_CHECKS)
        named = named.where(~described, named + ": " + failures["failure_case"].astype(str))
        return (
            pd.DataFrame({"index": failures["index"].astype(int), "rule": named})
            .drop_duplicates()
            .groupby("index")["rule"]
            .agg(lambda rules: "; ".join(sorted(rules)))
        )
    return pd.Series(dtype="string")


def quarantine_rows(rows: pd.DataFrame, rule: str | pd.Series) -> pd.DataFrame:
    """Quarantine entries (`QuarantineSchema`) for `rows`, with one rule or a rule per row."""
    inspections = file_stems(rows["source_file"].astype("string"))
    frame = pd.DataFrame(
        {
            "area": rows["area"].astype("string"),
            "inspection_id": inspections.astype("string"),
            "source_file": rows["source_file"].astype("string"),
            "source_line": rows["source_line"].astype("Int64"),
            "case_id": rows["case_id"].astype("string"),
            "rule": rule if isinstance(rule, pd.Series) else pd.Series(rule, index=rows.index),
        }
    )
    frame["rule"] = frame["rule"].astype("string")
    return check_frame(frame.reset_index(drop=True), QuarantineSchema)
