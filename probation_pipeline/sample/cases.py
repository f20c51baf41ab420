"""From model draws to extract rows and canonical case records.

`extract_rows` turns integer-coded cases (model.py) into the typed fields an inspector's extract
holds (case_ref, dates, labels, answers); `case_records` turns them into the canonical case record of
records/columns.py without going through CSV (for benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from probation_pipeline.extracts.versions import form_version
from probation_pipeline.records.columns import answer_columns, with_record_dtypes
from probation_pipeline.reference import PROVIDERS, Reference
from probation_pipeline.sample.model import MISSING, Levels

V1_BEFORE = date(2016, 9, 1)
V3_FROM = date(2017, 7, 1)
SENTENCE_LAG_DAYS = (200, 340)
"""Cases were sentenced or released about nine months before fieldwork (METHOD.md)."""
POST_STAGE_AGREEMENT = 0.88
"""Share of v3 cases whose post-stage harm judgement equals the pre-stage one."""
SAMPLE_VERSIONS: tuple[str, ...] = ("v1", "v2", "v3")
"""The form versions the sample writes (`form_version_for`)."""


def sample_answers(levels: Levels) -> tuple[str, ...]:
    """The judgements of the sample's records: the bulletin's questions, then the later stages of
    them its form versions carry (v3's `_post` harm judgements)."""
    return answer_columns(levels.questions, [form_version(name) for name in SAMPLE_VERSIONS])


def form_version_for(fieldwork_start: date) -> str:
    """v1 before September 2016, v3 from July 2017, v2 in between."""
    if fieldwork_start < V1_BEFORE:
        return "v1"
    return "v3" if fieldwork_start >= V3_FROM else "v2"


@dataclass(frozen=True)
class Inspection:
    """One inspection: an area and the month its fieldwork started (first Monday)."""

    area_slug: str
    pcc_area: str
    fieldwork_start: date
    crc_name: str
    nps_name: str
    case_letter: str

    @property
    def inspection_id(self) -> str:
        return f"{self.area_slug}-{self.fieldwork_start:%Y-%m}"

    @property
    def form_version(self) -> str:
        return form_version_for(self.fieldwork_start)

    @property
    def relative_path(self) -> str:
        return f"{self.area_slug}/{self.inspection_id}.csv"


def first_monday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return date(year, month, 1 + (7 - day.weekday()) % 7)


def make_inspection(reference: Reference, area_slug: str, year: int, month: int) -> Inspection:
    """The inspection of `area_slug` starting in year-month, names from pcc_areas.csv."""
    areas = reference.pcc_areas.set_index("area_slug")
    area = areas.loc[area_slug]
    return Inspection(
        area_slug=area_slug,
        pcc_area=area["pcc_area"],
        fieldwork_start=first_monday(year, month),
        crc_name=f"{area['contract_package_area']} CRC",
        nps_name=f"NPS {area['nps_division']}",
        case_letter=area["pcc_area"][0].upper(),
    )


def case_refs(
    rng: np.random.Generator, letters: np.ndarray, taken: set[str] | None = None
) -> np.ndarray:
    """Distinct case references `<letter><6 digits>`, one per entry of `letters`, none in `taken`."""
    refs = np.empty(len(letters), dtype=object)
    taken = taken or set()
    for letter in sorted(set(letters.tolist())):
        rows = np.flatnonzero(letters == letter)
        used = {int(ref[1:]) - 100000 for ref in taken if ref[0] == letter}
        pool_size = 900000
        picks = rng.choice(pool_size, size=len(rows) + len(used), replace=False)
        picks = np.asarray([pick for pick in picks if pick not in used][: len(rows)])
        refs[rows] = np.char.add(letter, (picks + 100000).astype(str))
    return refs


def _completed_years(born: pd.Series, on: pd.Series) -> np.ndarray:
    before_birthday = (on.dt.month < born.dt.month) | (
        (on.dt.month == born.dt.month) & (on.dt.day < born.dt.day)
    )
    return (on.dt.year - born.dt.year - before_birthday.astype(int)).to_numpy()


def dates_of_birth(rng: np.random.Generator, age: pd.Series, sentenced: pd.Series) -> pd.Series:
    """A date of birth giving exactly `age` completed years on `sentenced` (NaT where age is NA)."""
    years = age.fillna(30).to_numpy(dtype=np.int64)
    offset_days = np.rint(years * 365.25 + rng.integers(1, 364, len(age))).astype("timedelta64[D]")
    born = pd.Series(sentenced.to_numpy() - offset_days, index=age.index)
    for _ in range(3):
        error = _completed_years(born, sentenced) - years
        if not error.any():
            break
        born = born + pd.to_timedelta(error * 365, unit="D")
    return born.where(age.notna())


def extract_rows(
    rng: np.random.Generator,
    cases: pd.DataFrame,
    answers: np.ndarray,
    inspections: list[Inspection],
    inspection_index: np.ndarray,
    levels: Levels,
    refs: np.ndarray | None = None,
) -> pd.DataFrame:
    """The typed content of extract rows, one per case.

    `cases` carries codes and details (model.draw_details); `answers` is cases x `levels.questions` codes;
    `inspection_index` says which of `inspections` each case belongs to. Returns columns
    inspection (index into `inspections`), inspection_id, area, pcc_area, fieldwork_start, case_ref,
    provider, provider_name, sentence_type, sentence_date, gender, date_of_birth, age, ethnicity,
    ogrs3_score, rosh_level, mappa_eligible (Yes/No/<NA>), mappa_category (Int64), and one int8
    answer code column per question and post-stage extra (-1 none, 0 No, 1 Yes). Barriers is blank
    on v1 forms and post-stage answers exist on v3 forms only.
    """
    n = len(cases)
    table = pd.DataFrame(
        {
            "inspection_id": [i.inspection_id for i in inspections],
            "area": [i.area_slug for i in inspections],
            "pcc_area": [i.pcc_area for i in inspections],
            "fieldwork_start": pd.to_datetime([i.fieldwork_start for i in inspections]),
            "crc_name": [i.crc_name for i in inspections],
            "nps_name": [i.nps_name for i in inspections],
            "letter": [i.case_letter for i in inspections],
            "version": [i.form_version for i in inspections],
        }
    )
    at = table.iloc[inspection_index].reset_index(drop=True)
    provider = cases["provider"].to_numpy()
    out = pd.DataFrame({"inspection": inspection_index.astype(np.int32)})
    for column in ("inspection_id", "area", "pcc_area", "fieldwork_start"):
        out[column] = at[column].to_numpy()
    out["case_ref"] = refs if refs is not None else case_refs(rng, at["letter"].to_numpy())
    out["provider"] = np.asarray(PROVIDERS, dtype=object)[provider]
    out["provider_name"] = np.where(provider == 0, at["crc_name"], at["nps_name"])
    out["sentence_type"] = cases["sentence_type"].to_numpy()
    lag = rng.integers(SENTENCE_LAG_DAYS[0], SENTENCE_LAG_DAYS[1], n).astype("timedelta64[D]")
    out["sentence_date"] = out["fieldwork_start"].to_numpy() - lag
    out["gender"] = np.asarray(levels.labels["gender"], dtype=object)[cases["gender"].to_numpy()]
    out["age"] = cases["age"].astype("Int64").array
    out["date_of_birth"] = dates_of_birth(rng, out["age"], out["sentence_date"])
    out["ethnicity"] = cases["ethnicity"].to_numpy()
    out["ogrs3_score"] = cases["ogrs3_score"].astype("Int64").array
    out["rosh_level"] = cases["rosh_detail"].astype("string").array
    mappa = cases["mappa_eligible"].to_numpy()
    out["mappa_eligible"] = pd.array(
        np.where(mappa == 1, "Yes", np.where(mappa == 0, "No", None)), dtype="string"
    )
    category = cases["mappa_category"].to_numpy()
    out["mappa_category"] = pd.array(np.where(category > 0, category, 0), dtype="Int64")
    out.loc[category <= 0, "mappa_category"] = pd.NA

    version = at["version"].to_numpy()
    for qi, question in enumerate(levels.questions):
        out[question] = answers[:, qi].astype(np.int8)
    out.loc[version == "v1", "barriers"] = MISSING
    v3 = version == "v3"
    for post_column in sample_answers(levels)[len(levels.questions) :]:
        pre = out[post_column.removesuffix("_post")].to_numpy()
        flip = rng.random(n) > POST_STAGE_AGREEMENT
        post = np.where((pre >= 0) & flip, 1 - pre, pre)
        out[post_column] = np.where(v3, post, MISSING).astype(np.int8)
    return out


def case_records(rows: pd.DataFrame, cases: pd.DataFrame, levels: Levels) -> pd.DataFrame:
    """Canonical case records (records/columns.py: `record_columns` and dtypes) for extract rows,
    with the sample's judgements (`sample_answers`).

    `cases` gives the codes behind `rows` (same order). case_id is `S<row number>` here, not a
    pseudonym: these records never came from real references. source_line is the row's line in its
    file (header = line 1).
    """
    n = len(rows)
    labels = levels.labels
    records = pd.DataFrame(index=pd.RangeIndex(n))
    records["case_id"] = np.char.add("S", np.arange(n).astype(str))
    records["area"] = rows["area"].to_numpy()
    records["inspection_id"] = rows["inspection_id"].to_numpy()
    records["fieldwork_start"] = pd.to_datetime(rows["fieldwork_start"]).astype("datetime64[ns]")
    start = records["fieldwork_start"].to_numpy()
    records["form_version"] = np.where(
        start < np.datetime64(V1_BEFORE),
        "v1",
        np.where(start >= np.datetime64(V3_FROM), "v3", "v2"),
    )
    records["provider"] = rows["provider"].to_numpy()
    records["provider_name"] = rows["provider_name"].to_numpy()
    records["supervision_type"] = _labels(cases["supervision_type"], labels["supervision_type"])
    records["sentence_type"] = rows["sentence_type"].to_numpy()
    records["gender"] = _labels(cases["gender"], labels["gender"])
    records["age"] = rows["age"].astype("Int64").array
    records["age_group"] = _labels(cases["age_group"], labels["age_group"])
    records["ethnic_group"] = _labels(cases["ethnic_group"], labels["ethnic_group"])
    records["ogrs3_score"] = rows["ogrs3_score"].astype("Int64").array
    score = rows["ogrs3_score"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    band = np.select(
        [score < 50, score < 75, score < 90, score <= 99],
        ["Low", "Medium", "High", "Very high"],
        default=None,
    )
    records["ogrs_band"] = np.where(np.isnan(score), None, band)
    records["rosh_level"] = rows["rosh_level"].astype("string").array
    records["mappa_eligible"] = rows["mappa_eligible"].map({"Yes": True, "No": False}).to_numpy()
    records["mappa_category"] = rows["mappa_category"].astype("Int64").array
    answers = sample_answers(levels)
    for column in answers:
        code = rows[column].to_numpy()
        records[column] = pd.array(code == 1, dtype="boolean")
        records.loc[code < 0, column] = pd.NA
    records["source_file"] = (rows["area"] + "/" + rows["inspection_id"] + ".csv").to_numpy()
    records["source_line"] = rows.groupby("inspection_id", sort=False).cumcount().to_numpy() + 2
    return with_record_dtypes(records, answers)


def _labels(codes: pd.Series, labels: tuple[str, ...]) -> pd.array:
    values = codes.to_numpy().astype(np.int64)
    named = np.asarray(labels, dtype=object)[np.maximum(values, 0)]
    return pd.array(np.where(values >= 0, named, None), dtype="string")
