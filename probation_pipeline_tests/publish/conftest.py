"""Hand-made publication bundles: small, aggregate-only, shaped like the real asset's inputs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import pytest

from probation_pipeline.publish.bundle import (
    Headline,
    InputFile,
    PublicationBundle,
    RowAccounting,
)
from probation_pipeline.publish.spec import load_spec
from probation_pipeline_tests.shipped import REFERENCE

SPEC = load_spec(REFERENCE)

# (variable, level) rows of the fixture tables; a cut-down version of the bulletin's rows.
ROWS: tuple[tuple[str, str], ...] = (
    ("all", "All cases"),
    ("gender", "Male"),
    ("gender", "Female"),
    ("rosh_level", "Low"),
    ("rosh_level", "Medium"),
    ("rosh_level", "High/Very high"),
)
DISCLOSURE_NOTES = {
    "[c]": "Confidential - withheld to protect confidentiality.",
    "[z]": "Not applicable - the cell cannot exist.",
    "[x]": "Not available - no case answered the question in this group.",
}


def _cell(question_index: int, row_index: int, provider: str) -> tuple[int, int]:
    """Deterministic (n, yes) per cell; CRC never has High/Very high RoSH cases."""
    if provider == "CRC" and ROWS[row_index][1] == "High/Very high":
        return 0, 0
    n = 40 + 7 * question_index + 5 * row_index + (11 if provider == "NPS" else 0)
    yes = (n * (55 + 3 * question_index + (12 if provider == "NPS" else 0))) // 100
    return n, yes


def judgement_tables(shift: dict[tuple[str, str, str, str], int] | None = None) -> pd.DataFrame:
    """Tidy tables for the 7 questions; `shift` adds yes-counts to chosen CRC/NPS cells."""
    shift = shift or {}
    records = []
    for q_index, question_id in enumerate(REFERENCE.question_ids):
        for r_index, (variable, level) in enumerate(ROWS):
            counts = {}
            for provider in ("CRC", "NPS"):
                n, yes = _cell(q_index, r_index, provider)
                yes += shift.get((question_id, variable, level, provider), 0)
                counts[provider] = (n, yes)
            counts["All"] = (
                counts["CRC"][0] + counts["NPS"][0],
                counts["CRC"][1] + counts["NPS"][1],
            )
            for provider in ("All", "CRC", "NPS"):
                n, yes = counts[provider]
                pct = round(100 * yes / n, 1) if n else float("nan")
                impossible = n == 0
                records.append(
                    {
                        "question_id": question_id,
                        "variable": variable,
                        "level": level,
                        "provider": provider,
                        "n": n,
                        "yes": yes,
                        "pct_yes": pct,
                        "ci_lower": pct - 5 if n else float("nan"),
                        "ci_upper": pct + 5 if n else float("nan"),
                        "n_display": "[z]" if impossible else str(n),
                        "pct_display": "[z]" if impossible else f"{pct:.1f}",
                    }
                )
    return pd.DataFrame.from_records(records)


def bulletin_layout(tables: pd.DataFrame, question_id: str) -> pd.DataFrame:
    """Wide display frame shaped like `stats.tables.render_bulletin_layout` output (a stand-in)."""
    rows = []
    subset = tables[tables["question_id"] == question_id]
    headings = {"all": "All cases", "gender": "Gender", "rosh_level": "RoSH level"}
    for (variable, level), group in subset.groupby(["variable", "level"], sort=False):
        row = {"variable": variable, "group": headings[variable], "level": level}
        for cell in group.itertuples():
            row[f"{cell.provider} n"] = cell.n_display
            row[f"{cell.provider} % yes"] = cell.pct_display
        rows.append(row)
    return pd.DataFrame(rows)


def ratings(pct_shift: float = 0.0) -> pd.DataFrame:
    records = []
    for area in ("cumbria", "london", None):  # None: the national rows
        for provider in ("CRC", "NPS"):
            for key_area, base in (
                ("engagement", 70.0),
                ("keeping_safe", 52.0),
                ("overall", 52.0),
            ):
                pct = base + (8.0 if provider == "NPS" else 0.0) + pct_shift
                rating = "Good" if pct >= 65 else "Requires improvement" if pct >= 50 else "Inad"
                records.append(
                    {
                        "scope": "area" if area else "national",
                        "area": area,
                        "provider": provider,
                        "key_area": key_area,
                        "n": 50,
                        "sufficient": round(pct / 2),
                        "pct": pct,
                        "ci_lower": pct - 13.0,
                        "ci_upper": pct + 12.0,
                        "band": rating,
                        "crosses_boundary": True,
                    }
                )
    return pd.DataFrame.from_records(records)


def model_frames(
    selected: tuple[str, ...] = ("provider",),
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    steps, coefficients, summaries = [], [], []
    for question_id in REFERENCE.question_ids:
        steps.append(
            {
                "question_id": question_id,
                "step": 0,
                "action": "start",
                "variable": None,
                "statistic": None,
                "df": None,
                "p_value": None,
                "minus2_log_likelihood": 900.5,
            }
        )
        for number, variable in enumerate(selected, start=1):
            steps.append(
                {
                    "question_id": question_id,
                    "step": number,
                    "action": "enter",
                    "variable": variable,
                    "statistic": 20.25,
                    "df": 1,
                    "p_value": 0.0001,
                    "minus2_log_likelihood": 880.0,
                }
            )
        for term, estimate in (("constant", 0.5), ("provider=NPS", 0.9)):
            coefficients.append(
                {
                    "question_id": question_id,
                    "term": term,
                    "estimate": estimate,
                    "std_error": 0.1,
                    "odds_ratio": 1.5,
                    "ci_lower": 1.2,
                    "ci_upper": 1.9,
                    "p_value": 0.001,
                }
            )
        summaries.append(
            {
                "question_id": question_id,
                "n_used": 700,
                "nagelkerke_r2": 0.05,
                "selected": list(selected),
                "summary_text": f"Significant: {', '.join(selected) or 'none'}.",
            }
        )
    return pd.DataFrame(steps), pd.DataFrame(coefficients), pd.DataFrame(summaries)


def make_bundle(
    shift: dict[tuple[str, str, str, str], int] | None = None,
    rating_shift: float = 0.0,
    selected: tuple[str, ...] = ("provider",),
    input_digest: str = "a" * 64,
) -> PublicationBundle:
    """A complete bundle; the keyword arguments make a 'changed input' publication."""
    tables = judgement_tables(shift)
    steps, coefficients, summaries = model_frames(selected)
    return PublicationBundle(
        judgement_tables=tables,
        bulletin_layouts={q: bulletin_layout(tables, q) for q in REFERENCE.question_ids},
        ratings=ratings(rating_shift),
        model_steps=steps,
        model_coefficients=coefficients,
        model_summaries=summaries,
        questions=REFERENCE.questions,
        headline=Headline(
            total_cases=1066,
            crc_cases=672,
            nps_cases=394,
            female_cases=156,
            post_custody_cases=500,
            rosh_high_or_very_high_cases=177,
            mappa_eligible_cases=271,
        ),
        inputs=(
            InputFile("raw/cumbria/cumbria-2016-03.csv", input_digest, 60),
            InputFile("raw/london/london-2017-10.csv", "b" * 64, 120),
        ),
        row_accounting=RowAccounting(
            raw_rows=190,
            kept=170,
            superseded=12,
            exact_duplicates=3,
            quarantined_by_reason={"conflicting duplicate": 2, "age under 18": 3},
        ),
        latest_fieldwork=date(2017, 10, 2),
        disclosure_notes=DISCLOSURE_NOTES,
        spec=SPEC,
        rating_bands=[
            {"rating": band.rating, "min_share": float(band.min_share)}
            for band in REFERENCE.ratings.bands
        ],
    )


@pytest.fixture
def bundle_factory() -> Callable[..., PublicationBundle]:
    return make_bundle
