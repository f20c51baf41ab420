"""Per-row problem messages: flagging rows and joining several messages into one text."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from probation_pipeline.frames import string_array


def flag(mask: pd.Series, message: str) -> pd.Series:
    """`message` where `mask` is true, <NA> elsewhere (a missing mask value counts as false)."""
    flagged = mask.fillna(False).astype(bool)
    return pd.Series(message, index=mask.index, dtype="string").where(flagged)


def join_problems(messages: Iterable[pd.Series], index: pd.Index) -> pd.Series:
    """Per row, the non-missing messages joined by '; ' in the given order; <NA> if none.

    Most rows have no problem, so the joining is done in Python for the rows that have one.
    """
    messages = list(messages)
    present = [message.notna().to_numpy(dtype=bool) for message in messages]
    joined = np.full(len(index), pd.NA, dtype=object)
    if present:
        rows = np.flatnonzero(np.logical_or.reduce(present))
        texts = [message.to_numpy(dtype=object, na_value=None)[rows] for message in messages]
        joined[rows] = [
            "; ".join(t for t in row if t is not None) for row in zip(*texts, strict=True)
        ]
    return pd.Series(string_array(joined), index=index)


def join_flags(flags: Iterable[tuple[pd.Series, str]], index: pd.Index) -> pd.Series:
    """`join_problems(flag(mask, message) for mask, message in flags)`, one mask per message."""
    flags = list(flags)
    messages = [message for _, message in flags]
    masks = np.column_stack(
        [mask.fillna(False).to_numpy(dtype=bool) for mask, _ in flags]
        or [np.zeros(len(index), dtype=bool)]
    )
    joined = np.full(len(index), pd.NA, dtype=object)
    rows = np.flatnonzero(masks.any(axis=1))
    joined[rows] = [
        "; ".join(message for message, set_ in zip(messages, row, strict=True) if set_)
        for row in masks[rows].tolist()
    ]
    return pd.Series(string_array(joined), index=index)
