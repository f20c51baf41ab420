"""Typing raw rows as it was before the per-distinct-value path: every operation on every row.

The fast path changed two things in `records/canonical.py`, and only those are swapped here:
`per_distinct` (an element-wise parse done once per distinct value, then spread to the rows)
becomes the parse of every row, and `join_flags` (problem masks joined into messages in one
pass) becomes a message per problem, joined row by row. What the typing does (which column is
parsed how, which message names which problem) is the same code on both paths, so it is not
copied here. Not used by the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from probation_pipeline.records import canonical
from probation_pipeline.records.problems import flag


def every_row(values: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`per_distinct` as it was before: the element-wise `function` applied to every value."""
    return function(values)


def join_problems_by_rows(messages: Iterable[pd.Series], index: pd.Index) -> pd.Series:
    """Per row, the non-missing messages joined by '; ' in the given order; <NA> if none."""
    joined = pd.Series(pd.NA, index=index, dtype="string")
    for message in messages:
        present = message.notna()
        joined = joined.mask(present & joined.isna(), message).mask(
            present & joined.notna(), joined + "; " + message
        )
    return joined


def join_flags_by_rows(flags: Iterable[tuple[pd.Series, str]], index: pd.Index) -> pd.Series:
    """`join_flags` as it was before: each mask flagged with its message, then joined."""
    return join_problems_by_rows((flag(mask, message) for mask, message in flags), index)


def type_rows_by_rows() -> None:
    """Make `canonical.type_raw_rows` (and `file_stems`) work on every row (process-wide)."""
    canonical.per_distinct = every_row
    canonical.join_flags = join_flags_by_rows
