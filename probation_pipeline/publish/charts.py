"""Figures of the report as deterministic inline SVG (matplotlib, no pyplot state).

The same data gives the same SVG bytes: element ids come from a fixed hash salt, the date metadata is
dropped, and text stays text (`svg.fonttype = none`) so it is readable, searchable and small.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from probation_pipeline.publish.data_files import is_shorthand

# Analysis Function accessible palette: dark blue and turquoise, distinguishable in greyscale too.
PROVIDER_COLOURS: dict[str, str] = {"CRC": "#12436D", "NPS": "#28A197"}
PROVIDER_HATCHES: dict[str, str] = {"CRC": "", "NPS": "//"}
# Every text of a chart is at least 10 pt, and a chart is never shown below 75% of its width (the
# report swaps in the narrow drawing on small screens), so no text is drawn under 10 px.
_SVG_RC = {
    "svg.hashsalt": "probation-pipeline",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 10,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.labelsize": 10,
    "axes.titlesize": 11,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
}
WIDE_WIDTH = 8.0
NARROW_WIDTH = 3.6
"""Inches; the report shows the narrow drawings below 44rem of screen width."""

ASSESSMENT_FIGURE_TITLE = "Quality and sufficiency of assessment: CRC vs NPS cases"


def assessment_by_provider_data(
    judgement_tables: pd.DataFrame, questions: pd.DataFrame
) -> pd.DataFrame:
    """Whole-sample % yes per question for CRC and NPS, in table order.

    Returns question_id, short_label, provider, pct_yes (float or NaN when withheld), pct_display.
    """
    whole = judgement_tables[
        (judgement_tables["variable"] == "all") & judgement_tables["provider"].isin(["CRC", "NPS"])
    ]
    merged = questions[["question_id", "table", "short_label"]].merge(
        whole[["question_id", "provider", "pct_yes", "pct_display"]], on="question_id", how="inner"
    )
    merged = merged.sort_values(["table", "provider"], kind="stable").reset_index(drop=True)
    hidden = merged["pct_display"].map(is_shorthand).astype(bool)
    merged["pct_yes"] = pd.to_numeric(merged["pct_yes"]).where(~hidden)
    return merged[["question_id", "short_label", "provider", "pct_yes", "pct_display"]]


def assessment_by_provider_svg(data: pd.DataFrame, narrow: bool = False) -> str:
    """Horizontal grouped bar chart of % yes per question, CRC vs NPS, values labelled.

    `data` is the output of `assessment_by_provider_data`. Returns an `<svg>` element (no XML
    declaration) with `role="img"` and a `<title>`, ready to inline in HTML. `narrow` draws it
    for a phone (NARROW_WIDTH inches): each question's name above its bars, not beside them.
    """
    labels = list(dict.fromkeys(data["short_label"]))
    providers = [p for p in ("CRC", "NPS") if p in set(data["provider"])]
    bar_height = 0.38
    with matplotlib.rc_context(_SVG_RC):
        figure = _draw_assessment_by_provider(data, labels, providers, bar_height, narrow)
    return figure_to_svg(figure, ASSESSMENT_FIGURE_TITLE)


def _draw_assessment_by_provider(
    data: pd.DataFrame,
    labels: list[str],
    providers: list[str],
    bar_height: float,
    narrow: bool = False,
) -> Figure:
    if narrow:
        figure = Figure(figsize=(NARROW_WIDTH, 1.0 * len(labels) + 1.4))
    else:
        figure = Figure(figsize=(WIDE_WIDTH, 0.75 * len(labels) + 1.6))
    axes = figure.add_subplot()
    for offset, provider in enumerate(providers):
        rows = data[data["provider"] == provider].set_index("short_label")
        for position, label in enumerate(labels):
            # Questions run top to bottom in table order; CRC above NPS within a question.
            y = len(labels) - 1 - position + (bar_height / 2 if offset == 0 else -bar_height / 2)
            if label not in rows.index:
                continue
            value = rows.at[label, "pct_yes"]
            if pd.isna(value):
                axes.text(1, y, str(rows.at[label, "pct_display"]), va="center")
                continue
            axes.barh(
                y,
                float(value),
                height=bar_height,
                color=PROVIDER_COLOURS[provider],
                hatch=PROVIDER_HATCHES[provider],
                edgecolor="white",
                label=provider if position == 0 else None,
            )
            axes.text(float(value) + 1, y, f"{float(value):.1f}%", va="center")
    if narrow:
        # The question's name above its pair of bars, from the left edge: no room beside them.
        for position, label in enumerate(labels):
            axes.text(0, len(labels) - 1 - position + 0.45, label, va="bottom", ha="left")
        axes.set_yticks([])
    else:
        axes.set_yticks(range(len(labels)), list(reversed(labels)))
    axes.set_xlim(0, 118 if narrow else 110)
    axes.set_xticks(range(0, 101, 25 if narrow else 20))
    axes.set_ylim(-0.7, len(labels) - (0.1 if narrow else 0.4))
    axes.set_xlabel("Cases judged sufficient (% yes)")
    axes.set_ylabel("Question")
    axes.spines[["top", "right"]].set_visible(False)
    # Above the plot area, so the legend can never cover a bar or its value label.
    axes.legend(
        title="Provider", loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False
    )
    figure.tight_layout()
    return figure


def figure_to_svg(figure: Figure, title: str) -> str:
    """Serialise a figure to deterministic, inline-ready SVG with an accessible name."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_SVG_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    # Drop the XML prolog and DOCTYPE: they are not valid inside an HTML document.
    svg = svg[svg.index("<svg") :]
    escaped = (
        title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
    svg = re.sub(
        r"<svg ",
        f'<svg role="img" aria-label="{escaped}" ',
        svg,
        count=1,
    )
    # Give the chart a title element right after the opening tag, for screen readers.
    opening_end = svg.index(">") + 1
    return f"{svg[:opening_end]}\n <title>{escaped}</title>{svg[opening_end:]}"


RATINGS_FIGURE_TITLE = "Overall score of each area by provider, with 95% intervals and rating bands"


def ratings_intervals_svg(
    overall: pd.DataFrame,
    band_floors: Sequence[tuple[str, float]],
    area_labels: Sequence[str],
    narrow: bool = False,
) -> str:
    """Dot-and-interval chart of overall scores: one panel per provider, one row per area.

    `overall` has columns area_label, provider, pct, ci_lower, ci_upper (percent; rows without a
    score are left out by the caller); `area_labels` gives the row order, top to bottom;
    `band_floors` (rating, lowest percent of the band) draws the band boundaries above 0.
    `narrow` stacks the provider panels for a phone and leaves the band names to the caption.
    """
    providers = [p for p in ("CRC", "NPS") if p in set(overall["provider"])]
    panels = max(len(providers), 1)
    with matplotlib.rc_context(_SVG_RC):
        if narrow:
            figure = Figure(figsize=(NARROW_WIDTH, panels * (0.3 * len(area_labels) + 1.2)))
            grid = figure.subplots(panels, 1, sharex=True, squeeze=False)
            axes_list = [row[0] for row in grid]
        else:
            figure = Figure(figsize=(WIDE_WIDTH, 0.3 * len(area_labels) + 1.8))
            axes_list = list(figure.subplots(1, panels, sharey=True, squeeze=False)[0])
        positions = {label: len(area_labels) - 1 - i for i, label in enumerate(area_labels)}
        for axes, provider in zip(axes_list, providers, strict=False):
            rows = overall[overall["provider"] == provider]
            y = [positions[label] for label in rows["area_label"]]
            pct = rows["pct"].astype(float).to_numpy()
            lower = pct - rows["ci_lower"].astype(float).to_numpy()
            upper = rows["ci_upper"].astype(float).to_numpy() - pct
            axes.errorbar(
                pct,
                y,
                xerr=[lower, upper],
                fmt="o",
                color=PROVIDER_COLOURS[provider],
                ecolor=PROVIDER_COLOURS[provider],
                elinewidth=1.2,
                capsize=2,
                markersize=4,
            )
            boundaries = [(rating, floor) for rating, floor in band_floors if floor > 0]
            for _, floor in boundaries:
                axes.axvline(floor, color="#505A5F", linestyle="--", linewidth=0.8)
            if boundaries and not narrow:
                # Band names along the top edge, where they cannot cover a dot or an interval.
                top = axes.secondary_xaxis("top")
                top.set_xticks(
                    [floor for _, floor in boundaries],
                    [f"{rating} ≥{floor:g}%" for rating, floor in boundaries],
                    rotation=35,
                    ha="left",
                )
            axes.set_xlim(0, 100)
            axes.set_ylim(-0.7, len(area_labels) - 0.3)
            axes.set_title(provider, loc="left", fontweight="bold")
            axes.set_xlabel("Cases sufficient (%)")
            axes.spines[["top", "right"]].set_visible(False)
        for axes in axes_list if narrow else axes_list[:1]:
            axes.set_yticks([positions[label] for label in area_labels], list(area_labels))
            axes.set_ylabel("Area")
        figure.tight_layout()
    return figure_to_svg(figure, RATINGS_FIGURE_TITLE)
