"""Element-wise work done once per distinct value: most columns of an extract repeat a few values."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd


def per_distinct(values: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`function(values)` for an element-wise `function`, evaluated on the distinct values only.

    The result has `values`' index and the dtype `function` gives; <NA> is one of the distinct
    values, so `function` decides what a missing value becomes.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    result = function(pd.Series(distinct, dtype=values.dtype))
    return pd.Series(result.array.take(codes), index=values.index, name=values.name)
