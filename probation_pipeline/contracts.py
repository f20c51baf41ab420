"""Typed frames: each stored frame's pandera model, checked by the function that produces it.

A model (a `StoredFrame` in the module that owns the frame) states the columns in their stored
order, their dtypes and the rules that matter (`n >= yes >= 0`, shares in [0, 1]).
Producers build their frame with `dtypes(Model)` and return `check_frame(frame, Model)`; every
other module takes the column list from `columns(Model)`. Checks are vectorised (no element-wise
check), so validating a national run's frames costs a few column operations.
"""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pandera.pandas as pa
from pandera.config import ValidationDepth, config_context


class FrameContractError(ValueError):
    """A frame breaks its model: names the frame, the column and the rule."""


class StoredFrame(pa.DataFrameModel):
    """Base of every stored frame's model: exactly its columns, in their stored order.

    A subclass names its frame in its class line, `class RatingSchema(StoredFrame,
    frame="ratings")`: the name errors and metadata use (pandera's `Config.name`).
    """

    class Config:
        strict = True
        ordered = True

    def __init_subclass__(cls, frame: str | None = None, **kwargs) -> None:
        if frame is not None:
            # Before pandera reads the subclass's Config: the name joins the inherited options.
            cls.Config = type("Config", (cls.Config,), {"name": frame})
        super().__init_subclass__(**kwargs)


def at_most(frame: pd.DataFrame, low: str, high: str) -> pd.Series:
    """Per row, `low <= high` where both are known (true where either is missing)."""
    return (frame[low] <= frame[high]).fillna(True).astype(bool)


def at_most_check(low: str, high: str) -> classmethod:
    """A model's frame check named `<low>_at_most_<high>`: `at_most(frame, low, high)`.

    In a model: `yes_at_most_n = at_most_check("yes", "n")`.
    """

    def check(cls, frame: pd.DataFrame) -> pd.Series:
        return at_most(frame, low, high)

    check.__name__ = f"{low}_at_most_{high}"
    return pa.dataframe_check(name=check.__name__)(classmethod(check))


def columns(model: type[pa.DataFrameModel]) -> tuple[str, ...]:
    """The model's columns in their stored order."""
    return tuple(model.to_schema().columns)


def dtypes(model: type[pa.DataFrameModel]) -> dict[str, object]:
    """Column -> pandas dtype, for `frame.astype(dtypes(Model))`."""
    return {name: column.dtype.type for name, column in model.to_schema().columns.items()}


def frame_name(model: type[pa.DataFrameModel]) -> str:
    return str(model.to_schema().name)


def check_frame(
    frame: pd.DataFrame, model: type[pa.DataFrameModel], *, data: bool = True
) -> pd.DataFrame:
    """`frame` unchanged if it fits `model`; raises FrameContractError naming frame and column.

    With `data=False` only the shape is checked (columns, their order and dtypes), for a frame
    whose producer already checked its values.
    """
    schema = model.to_schema()
    depth = ValidationDepth.SCHEMA_AND_DATA if data else ValidationDepth.SCHEMA_ONLY
    try:
        with config_context(validation_depth=depth):
            schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        raise FrameContractError(f"{schema.name}: {_describe(errors.failure_cases)}") from None
    return frame


def _describe(failures: pd.DataFrame, most: int = 5) -> str:
    """One phrase per broken rule: the column and check, how many failures, the first value."""
    frame_level = failures["schema_context"].eq("DataFrameSchema")
    # A frame check reports each failing row once per column: count the rows instead.
    failures = failures.assign(column=failures["column"].where(~frame_level))
    problems = []
    for (column, check), cases in failures.groupby(["column", "check"], dropna=False, sort=False):
        first = cases["failure_case"].iloc[0]
        if check == "column_in_dataframe":
            problems.append(f"missing column {first!r}")
        elif check == "column_in_schema":
            problems.append(f"unexpected column {first!r}")
        elif cases["index"].isna().all():  # about the column or frame as a whole
            where = "" if pd.isna(column) else f"column {column!r}: "
            problems.append(f"{where}{check}: {first!r}")
        elif pd.isna(column):
            problems.append(f"{check} ({cases['index'].nunique()} row(s))")
        else:
            problems.append(f"column {column!r}: {check} ({len(cases)} failure(s), e.g. {first!r})")
    more = f"; and {len(problems) - most} more" if len(problems) > most else ""
    return "; ".join(problems[:most]) + more
