"""Per-row problem messages: flagging rows and joining several messages into one text."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def flag(mask: pd.Series, message: str) -> pd.Series:
    """`message` where `mask` is true, <NA> elsewhere (a missing mask value counts as false)."""
    flagged = mask.fillna(False).astype(bool)
    return pd.Series(message, index=mask.index, dtype="string").where(flagged)


def join_problems(messages: Iterable[pd.Series], index: pd.Index) -> pd.Series:
    """Per row, the non-missing messages joined by '; ' in the given order; <NA> if none."""
    joined = pd.Series(pd.NA, index=index, dtype="string")
    for message in messages:
        present = message.notna()
        joined = joined.mask(present & joined.isna(), message).mask(
            present & joined.notna(), joined + "; " + message
        )
    return joined
