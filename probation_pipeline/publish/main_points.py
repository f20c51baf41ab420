"""The report's main points, written from the numbers (never typed): provider gaps, factors, ratings.

Withheld values (shorthand) are never used: a question whose CRC or NPS all-cases percentage is
withheld is left out of the gap sentence.
"""

from __future__ import annotations

import pandas as pd

from probation_pipeline.publish.data_files import is_shorthand, selected_as_text
from probation_pipeline.publish.spec import PublicationSpec


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def provider_gaps(judgement_tables: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """Per question (table order): short_label, crc, nps, gap (NPS minus CRC, percentage points)."""
    whole = judgement_tables[judgement_tables["variable"] == "all"]
    rows = []
    for question in questions.itertuples(index=False):
        cells = whole[whole["question_id"] == question.question_id].set_index("provider")
        if not {"CRC", "NPS"} <= set(cells.index):
            continue
        shown = [cells.at[p, "pct_display"] for p in ("CRC", "NPS")]
        if any(is_shorthand(value) for value in shown):
            continue
        crc, nps = (float(cells.at[p, "pct_yes"]) for p in ("CRC", "NPS"))
        rows.append(
            {
                "short_label": question.short_label,
                "crc": crc,
                "nps": nps,
                "gap": round(nps - crc, 1),
            }
        )
    return pd.DataFrame(rows, columns=["short_label", "crc", "nps", "gap"])


def gap_points(gaps: pd.DataFrame) -> list[str]:
    if gaps.empty:
        return []
    higher = int((gaps["gap"] > 0).sum())
    lower = int((gaps["gap"] < 0).sum())
    widest = gaps.loc[gaps["gap"].abs().idxmax()]
    narrowest = gaps.loc[gaps["gap"].abs().idxmin()]
    points = [
        f"NPS cases were judged sufficient more often than CRC cases on {higher} of "
        f"{len(gaps)} questions"
        + (f", and less often on {lower}" if lower else "")
        + f". The gap was widest for {widest.short_label} (NPS {widest.nps:.1f}%, CRC "
        f"{widest.crc:.1f}%: {abs(widest.gap):.1f} percentage points) and narrowest for "
        f"{narrowest.short_label} ({abs(narrowest.gap):.1f} points)."
    ]
    by_question = "; ".join(
        f"{row.short_label} {'+' if row.gap > 0 else ''}{row.gap:.1f}" for row in gaps.itertuples()
    )
    points.append(f"NPS minus CRC, percentage points, by question: {by_question}.")
    return points


def factor_points(
    model_summaries: pd.DataFrame, questions: pd.DataFrame, spec: PublicationSpec
) -> list[str]:
    """Which variables were significant, in words, with the questions they were significant for."""
    labels = dict(zip(questions["question_id"], questions["short_label"], strict=True))
    found: dict[str, list[str]] = {}
    for row in model_summaries.itertuples(index=False):
        text = selected_as_text(row.selected)
        for name in [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]:
            found.setdefault(name, []).append(
                labels.get(str(row.question_id), str(row.question_id))
            )
    total = len(model_summaries)
    if not found:
        return [
            "No subgroup difference was statistically significant once the other variables "
            "were allowed for."
        ]
    # Most questions first; ties in the order the models entered them.
    ordered = sorted(found.items(), key=lambda item: -len(item[1]))
    everywhere = [spec.variable_in_sentence(name) for name, where in ordered if len(where) == total]
    parts = []
    if everywhere:
        parts.append(f"{_listed(everywhere)} for all {total} questions")
    for name, where in ordered:
        if len(where) < total:
            parts.append(f"{spec.variable_in_sentence(name)} for {len(where)} ({_listed(where)})")
    return [
        "Once the other variables were allowed for, differences were statistically significant "
        f"by {'; by '.join(parts)}."
    ]


def rating_points(ratings: pd.DataFrame) -> list[str]:
    """How many areas got each overall rating, per provider (withheld ratings not counted)."""
    if "key_area" not in ratings.columns or "band" not in ratings.columns:
        return []
    overall = ratings[
        (ratings["key_area"] == "overall") & ratings["area"].notna() & ratings["band"].notna()
    ]
    points = []
    for provider, rows in overall.groupby("provider", sort=True):
        counts = sorted(rows["band"].value_counts().items(), key=lambda item: (-item[1], item[0]))
        listed = ", ".join(f"{band} {int(count)}" for band, count in counts)
        points.append(f"{provider} overall ratings of the {len(rows)} areas rated: {listed}.")
    return points


def main_points(
    judgement_tables: pd.DataFrame,
    model_summaries: pd.DataFrame,
    ratings: pd.DataFrame,
    questions: pd.DataFrame,
    spec: PublicationSpec,
) -> list[str]:
    """The main points in reading order."""
    return [
        *gap_points(provider_gaps(judgement_tables, questions)),
        *factor_points(model_summaries, questions, spec),
        *rating_points(ratings),
    ]
