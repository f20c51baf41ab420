"""Looking up one row of a tidy frame by its key, for assertions on single cells."""

from __future__ import annotations

import pandas as pd


def only_row(frame: pd.DataFrame, **key: object) -> pd.Series:
    """The one row of `frame` whose columns hold `key`'s values (None matches a missing value).

    Fails the test unless exactly one row matches.
    """
    where = pd.Series(True, index=frame.index)
    for column, value in key.items():
        where &= frame[column].isna() if value is None else frame[column].eq(value).fillna(False)
    rows = frame[where.astype(bool)]
    assert len(rows) == 1, f"{len(rows)} rows with {key}"
    return rows.iloc[0]
