"""Calibrated mode: the bulletin's 15 inspections as extract files that reproduce Tables 1-7 exactly.

Recipe (docs/sample-data.md): draw 1,066 cases from the model (model.py) with the answer model raked
to the published cells on the logit scale; repair them to exactness with the fewest changes
(repair.py); swap levels between cases with identical answers, which keeps every count, first
towards the model's associations (swaps.py), then until the stepwise models select the bulletin's
variables (significance.py); derive the details (ages, scores, MAPPA); split them over the 14 areas' latest
inspections (the cases without a barriers judgement are the four v1 inspections); add the first
London inspection (a separate, superseded sample) and a few raw-level defects the pipeline must
catch. The same seed gives byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from probation_pipeline.reference import Reference
from probation_pipeline.sample.cases import (
    Inspection,
    case_refs,
    extract_rows,
    make_inspection,
)
from probation_pipeline.sample.defects import planted_defect_rows
from probation_pipeline.sample.margins import headline_targets, provider_targets, published_cells
from probation_pipeline.sample.model import (
    CRC,
    NPS,
    QUALITY_LOADING,
    AnswerModel,
    Levels,
    draw_demographics,
    draw_details,
    draw_mappa_category,
    rake_answer_model,
)
from probation_pipeline.sample.repair import Targets, repair_to_targets
from probation_pipeline.sample.scale import default_reference
from probation_pipeline.sample.significance import QuestionFit, swap_towards_findings
from probation_pipeline.sample.swaps import (
    association_scores,
    association_summary,
    swap_towards_associations,
)
from probation_pipeline.sample.writers import write_inspection_files
from probation_pipeline.stats.findings import bulletin_findings, published_directions

DEFAULT_SEED = 2018

# (area, fieldwork year, month, kept cases). Fieldwork months sit two to four months before the
# report dates of inspections.csv; v1 before September 2016, v3 from July 2017 (cases.py). Sizes
# follow METHOD.md: about 50 in six areas, over 100 in Greater Manchester, over 200 in London; the
# four v1 inspections hold exactly the 211 cases without a barriers judgement.
LATEST_INSPECTIONS: tuple[tuple[str, int, int, int], ...] = (
    ("durham", 2016, 4, 52),
    ("north-yorkshire", 2016, 5, 53),
    ("derbyshire", 2016, 6, 53),
    ("kent", 2016, 7, 53),
    ("staffordshire", 2016, 10, 73),
    ("greater-manchester", 2016, 11, 112),
    ("gwent", 2017, 1, 51),
    ("northamptonshire", 2017, 2, 70),
    ("south-yorkshire", 2017, 3, 74),
    ("suffolk", 2017, 4, 67),
    ("gloucestershire", 2017, 5, 74),
    ("cumbria", 2017, 7, 50),
    ("west-mercia", 2017, 8, 70),
    ("london", 2017, 10, 214),
)
MINORITY_WEIGHT = {
    "london": 6.0,
    "greater-manchester": 2.5,
    "staffordshire": 1.5,
    "derbyshire": 1.3,
    "kent": 1.0,
    "gloucestershire": 1.0,
    "northamptonshire": 1.0,
    "west-mercia": 0.6,
    "durham": 0.3,
    "north-yorkshire": 0.3,
    "cumbria": 0.2,
}
"""Relative chance of an ethnic minority case landing in an area (areas not listed: 0.8)."""
FIRST_LONDON = ("london", 2016, 9, 203)
FIRST_LONDON_NPS_SHARE = 0.39
FIRST_LONDON_QUALITY_SHIFT = -0.45
"""The first London inspection found worse practice than the re-inspection (a different sample)."""
FIRST_LONDON_SHARED_REFS = 18
"""Service users sampled in both London inspections (plausible; the first is superseded anyway)."""
MAPPA_UNKNOWN = (12, 8)
"""Cases (CRC, NPS) whose MAPPA status is blank: 271 of 1,046 known is the printed 26%."""


@dataclass(frozen=True)
class CalibratedSample:
    """The generated sample before writing.

    `rows` holds every raw row of every file (kept cases, the first London inspection, defects) in
    file order, with column `inspection` indexing `inspections`; `kept` flags the 1,066 cases.
    `codes` are the kept cases' repaired table codes (same order as the kept rows),
    `repair_history` the residual after each repair round, and `findings` each question's
    stepwise selection on the kept cases against the bulletin's (significance.py), and
    `associations` the links of `swaps.association_summary` after each stage of the recipe.
    """

    inspections: list[Inspection]
    rows: pd.DataFrame
    kept: np.ndarray
    codes: pd.DataFrame
    repair_history: list[int]
    findings: tuple[QuestionFit, ...] = ()
    associations: dict[str, dict[str, str]] | None = None


def _population_targets(headline: dict[str, int], targets: pd.DataFrame) -> dict:
    """Headline counts as (CRC, NPS) level totals. Every NPS case answered the diversity question,
    so its NPS bases are the NPS population; the CRC count is the headline minus that."""
    nps_population = targets[
        (targets["question_id"] == "diversity") & (targets["provider"] == "NPS")
    ].set_index(["variable", "level"])["n"]
    female_nps = int(nps_population[("gender", "Female")])
    post_nps = int(nps_population[("supervision_type", "Post-custody")])
    high_nps = headline["rosh_high_or_very_high_cases"]
    if int(nps_population[("rosh_level", "High/Very high")]) != high_nps:
        raise ValueError("headline High/Very high RoSH differs from the NPS diversity base")
    return {
        "gender": {1: (headline["female_cases"] - female_nps, female_nps)},
        "supervision_type": {1: (headline["post_release_custody_cases"] - post_nps, post_nps)},
        "rosh_level": {2: (0, high_nps)},
    }


def _assign_mappa(rng: np.random.Generator, cases: pd.DataFrame, eligible_total: int) -> None:
    """Exactly `eligible_total` eligible NPS cases (the most likely by the model), a few unknown."""
    provider = cases["provider"].to_numpy()
    status = np.zeros(len(cases), dtype=np.int8)
    for pi, count in enumerate(MAPPA_UNKNOWN):
        rows = np.flatnonzero(provider == pi)
        status[rng.choice(rows, size=count, replace=False)] = -1
    known_nps = np.flatnonzero((provider == NPS) & (status == 0))
    ranked = known_nps[np.argsort(-cases["mappa_score"].to_numpy()[known_nps], kind="stable")]
    status[ranked[:eligible_total]] = 1
    cases["mappa_eligible"] = status
    cases["mappa_category"] = draw_mappa_category(rng, cases)


def _assign_areas(
    rng: np.random.Generator, ethnic_group: np.ndarray, no_barriers: np.ndarray, v1: np.ndarray
) -> np.ndarray:
    """Inspection index per case: v1 inspections get exactly the cases without barriers answers.

    Each area draws its cases with ethnic minority cases weighted by `MINORITY_WEIGHT`, so that
    London is more diverse than Durham.
    """
    areas = [area for area, *_ in LATEST_INSPECTIONS]
    sizes = [size for *_, size in LATEST_INSPECTIONS]
    index = np.full(len(ethnic_group), -1, dtype=np.int64)
    minority = ethnic_group != 0
    for is_v1, members in ((True, no_barriers), (False, ~no_barriers)):
        group = [i for i in range(len(areas)) if v1[i] == is_v1]
        # The most and the least diverse areas choose first; middling areas take what is left.
        group.sort(key=lambda i: -abs(np.log(MINORITY_WEIGHT.get(areas[i], 0.8))))
        for i in group:
            free = np.flatnonzero(members & (index < 0))
            weight = np.where(minority[free], MINORITY_WEIGHT.get(areas[i], 0.8), 1.0)
            chosen = rng.choice(free, size=sizes[i], replace=False, p=weight / weight.sum())
            index[chosen] = i
    return index


def _draw_cases(
    rng: np.random.Generator,
    provider: np.ndarray,
    model: AnswerModel,
    levels: Levels,
    quality_shift: float = 0.0,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    cases = draw_demographics(rng, provider)
    quality = rng.standard_normal(len(provider)) + quality_shift
    answers = model.draw(rng, cases, quality)
    _, yes_logit = model.linear_predictors(cases)
    return cases, answers, yes_logit


def build_calibrated_sample(
    seed: int = DEFAULT_SEED, reference: Reference | None = None
) -> CalibratedSample:
    """Generate the calibrated sample (see module docstring). Returns a CalibratedSample.

    Raises repair.RepairError if exactness is not reached (it is for the default seed).
    """
    reference = reference or default_reference()
    rng = np.random.default_rng(seed)
    levels = Levels.from_reference(reference)
    headline = headline_targets(reference)
    by_provider = provider_targets(reference)
    targets = Targets.build(by_provider, levels, _population_targets(headline, by_provider))
    provider = np.repeat(
        np.array([CRC, NPS], dtype=np.int8), [headline["crc_cases"], headline["nps_cases"]]
    )

    model = AnswerModel.from_tables(
        published_cells(reference), levels, (headline["crc_cases"], headline["nps_cases"])
    )
    cases = draw_demographics(rng, provider)
    quality = rng.standard_normal(len(provider))
    model = rake_answer_model(model, cases, quality, targets.n, targets.yes)
    answers = model.draw(rng, cases, quality)
    _, yes_logit = model.linear_predictors(cases)
    yes_logit = yes_logit + QUALITY_LOADING * quality[:, None]
    associations = {"model draw": association_summary(provider, cases)}
    codes, answers, history = repair_to_targets(provider, cases, answers, targets, yes_logit)
    associations["after repair"] = association_summary(provider, codes)
    sizes = {variable: len(names) for variable, names in levels.labels.items()}
    scores = association_scores(rng, sizes)
    codes, _ = swap_towards_associations(rng, provider, codes, answers, scores, sizes)
    associations["after association swaps"] = association_summary(provider, codes)
    codes, findings, _ = swap_towards_findings(
        rng,
        provider,
        codes,
        answers,
        levels,
        levels.questions,
        bulletin_findings(reference),
        published_directions(reference),
        scores,
    )
    associations["after findings swaps"] = association_summary(provider, codes)
    kept_cases = draw_details(rng, codes, levels)
    _assign_mappa(rng, kept_cases, headline["mappa_eligible_cases"])

    inspections = [make_inspection(reference, a, y, m) for a, y, m, _ in LATEST_INSPECTIONS]
    sizes = np.array([size for *_, size in LATEST_INSPECTIONS])
    v1 = np.array([i.form_version == "v1" for i in inspections])
    no_barriers = answers[:, levels.questions.index("barriers")] < 0
    if no_barriers.sum() != sizes[v1].sum():
        raise ValueError("v1 inspection sizes must add up to the cases without barriers answers")
    inspection_index = _assign_areas(rng, kept_cases["ethnic_group"].to_numpy(), no_barriers, v1)
    kept_rows = extract_rows(rng, kept_cases, answers, inspections, inspection_index, levels)

    # The first London inspection: its own sample and results, drawn without repair.
    first = make_inspection(reference, *FIRST_LONDON[:3])
    inspections.append(first)
    first_provider = (rng.random(FIRST_LONDON[3]) < FIRST_LONDON_NPS_SHARE).astype(np.int8)
    first_cases, first_answers, _ = _draw_cases(
        rng, first_provider, model, levels, FIRST_LONDON_QUALITY_SHIFT
    )
    first_cases = draw_details(rng, first_cases, levels)
    first_rows = extract_rows(
        rng,
        first_cases,
        first_answers,
        inspections,
        np.full(len(first_provider), len(inspections) - 1),
        levels,
        refs=case_refs(rng, np.full(len(first_provider), "L"), set(kept_rows["case_ref"])),
    )
    london_refs = kept_rows.loc[kept_rows["area"] == "london", "case_ref"].to_numpy()
    shared = rng.choice(len(first_rows), FIRST_LONDON_SHARED_REFS, replace=False)
    first_rows.loc[shared, "case_ref"] = rng.choice(
        london_refs, FIRST_LONDON_SHARED_REFS, replace=False
    )

    def fresh_case(provider: int) -> tuple[pd.DataFrame, np.ndarray]:
        cases, answers, _ = _draw_cases(rng, np.array([provider], dtype=np.int8), model, levels)
        return draw_details(rng, cases, levels), answers

    defect_rows = planted_defect_rows(rng, levels, inspections, kept_rows, first_rows, fresh_case)
    rows = pd.concat([kept_rows, first_rows, defect_rows], ignore_index=True)
    kept = np.r_[np.ones(len(kept_rows), bool), np.zeros(len(first_rows) + len(defect_rows), bool)]
    # File order: each inspection's rows in random order, so defects are not all at the end.
    order = np.lexsort((rng.random(len(rows)), rows["inspection"].to_numpy()))
    rows = rows.iloc[order].reset_index(drop=True)
    kept = kept[order]
    kept_codes = codes.iloc[order[kept]]
    return CalibratedSample(
        inspections,
        rows,
        kept,
        kept_codes.reset_index(drop=True),
        history,
        tuple(findings),
        associations,
    )


def describe(sample: CalibratedSample) -> str:
    """Selections against the bulletin's and the tracked associations per stage, as text."""
    matched = sum(fit.matches for fit in sample.findings)
    lines = [f"selections as the bulletin's: {matched}/{len(sample.findings)}"]
    lines += [
        f"  {fit.question:<18} {'ok ' if fit.matches else 'NO '}"
        f"{'robust ' if fit.robust else 'fragile'} {', '.join(fit.selected)}"
        f" (penalty {fit.penalty:.2f})"
        for fit in sample.findings
    ]
    for stage, links in (sample.associations or {}).items():
        lines.append(f"{stage}: " + "; ".join(f"{k} {v}" for k, v in links.items()))
    return "\n".join(lines)


def write_calibrated_sample(
    out: Path, seed: int = DEFAULT_SEED, reference: Reference | None = None
) -> list[Path]:
    """Generate the calibrated sample and write its 15 extract files under `out`; return the paths.

    Existing files of the same names are replaced atomically; nothing else under `out` is touched.
    """
    sample = build_calibrated_sample(seed, reference)
    return write_inspection_files(out, sample.inspections, sample.rows)
