"""A deliberately small, independent reader of extract files, for checking the generator.

It re-implements only what the tests need from DESIGN.md sections 4-5 (version by header, latest
inspection per area, duplicates, the validation rules), with the csv module and plain Python, so
that a bug shared with the generator's own code cannot hide.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime
from pathlib import Path

# The table variables' names are what the tables are keyed by, not a rule to re-implement.
from probation_pipeline.reference import TABLE_VARIABLES
from probation_pipeline_tests.shipped import REFERENCE_DIR

V1_ANSWERS = {"1": True, "0": False, "": None}
V2_ANSWERS = {"Yes": True, "No": False, "N/A": None, "": None}
QUESTIONS = (
    "barriers",
    "diversity",
    "desistance_pre",
    "desistance_post",
    "harm_public",
    "harm_known_adults",
    "harm_children",
)
# The age bands are reference data (an input, not the code under check), read with the csv module.
with (REFERENCE_DIR / "age_groups.csv").open(newline="") as bands:
    AGE_GROUPS = tuple(
        (int(band["min_age"]), int(band["max_age"] or 200), band["age_group"])
        for band in csv.DictReader(bands)
    )
# Row fields by their v2 header name; v1 headers are renamed to those first.
FIELDS = {
    "inspection_id": "inspection_id",
    "case_ref": "case_ref",
    "provider": "provider",
    "sentence_type": "sentence_type",
    "gender": "sex",
    "ethnicity": "ethnicity",
    "ogrs": "ogrs3_score",
    "rosh": "rosh_level",
    "mappa": "mappa_eligible",
    "category": "mappa_category",
}
V1_NAMES = {
    "Inspection": "inspection_id",
    "Case Ref": "case_ref",
    "Provider": "provider",
    "Sentence Type": "sentence_type",
    "Gender": "sex",
    "Ethnicity": "ethnicity",
    "OGRS3": "ogrs3_score",
    "RoSH": "rosh_level",
    "MAPPA Eligible": "mappa_eligible",
    "MAPPA Category": "mappa_category",
    "Fieldwork Start": "fieldwork_start",
    "Sentence Date": "sentence_date",
    "Q Diversity": "q_diversity",
    "Q Desistance Pre": "q_desistance_pre",
    "Q Desistance Post": "q_desistance_post",
    "Q Harm Public": "q_harm_public",
    "Q Harm Known Adults": "q_harm_known_adults",
    "Q Harm Children": "q_harm_children",
}
ETHNIC = {"White": "White", "Mixed": "Mixed", "Asian": "Asian", "Black": "Black", "Other": "Other"}


def _parse_date(text: str, v1: bool) -> date | None:
    if not text:
        return None
    return datetime.strptime(text, "%d/%m/%Y" if v1 else "%Y-%m-%d").date()


def _completed_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def read_file(path: Path) -> tuple[str, list[dict]]:
    """(version, rows as canonical dicts incl. case_ref, raw line text and rule problems)."""
    raw = path.read_bytes()
    v1 = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.splitlines()
    reader = csv.reader(lines)
    header = next(reader)
    version = "v1" if v1 else ("v3" if "q_harm_public_pre" in header else "v2")
    rows = []
    for line_text, values in zip(lines[1:], reader, strict=True):
        cell = dict(zip(header, values, strict=True))
        if v1:
            cell = {V1_NAMES.get(name, name): value for name, value in cell.items()}
        get = {key: cell[name] for key, name in FIELDS.items()}
        fieldwork = _parse_date(cell["fieldwork_start"], v1)
        sentenced = _parse_date(cell["sentence_date"], v1)
        if v1:
            age = int(cell["Age"]) if cell["Age"] else None
            answers = {
                q: V1_ANSWERS[cell[f"q_{q}"]] if f"q_{q}" in cell else None for q in QUESTIONS
            }
        else:
            born = _parse_date(cell["date_of_birth"], False)
            age = _completed_years(born, sentenced) if born else None
            suffix = "_pre" if version == "v3" else ""
            answers = {
                q: V2_ANSWERS[cell[f"q_{q}{suffix}" if q.startswith("harm") else f"q_{q}"]]
                for q in QUESTIONS
            }
        problems = []
        if age is not None and age < 18:
            problems.append("age_at_least_18")
        if get["provider"] == "CRC" and get["rosh"] in ("High", "Very high"):
            problems.append("crc_never_high_rosh")
        if get["mappa"] == "Yes" and get["provider"] != "NPS":
            problems.append("mappa_eligible_only_nps")
        if get["category"] and get["mappa"] != "Yes":
            problems.append("mappa_category_only_when_eligible")
        if not sentenced < fieldwork:
            problems.append("sentence_before_fieldwork")
        ogrs = int(get["ogrs"]) if get["ogrs"] else None
        if ogrs is not None and not 1 <= ogrs <= 99:
            problems.append("values_in_their_domains")
        group = next((g for lo, hi, g in AGE_GROUPS if age is not None and lo <= age <= hi), None)
        rosh = get["rosh"] or None
        rows.append(
            {
                **get,
                **answers,
                "line": line_text,
                "version": version,
                "age": age,
                "age_group": group,
                "ethnic_group": ETHNIC.get(get["ethnicity"].split(":")[0]),
                "supervision_type": "Post-custody"
                if get["sentence_type"] == "Licence"
                else "Community sentence",
                "ogrs_band": None
                if ogrs is None
                else ("Low" if ogrs < 50 else "Medium" if ogrs < 75 else "High/Very high"),
                "rosh_level": "High/Very high" if rosh in ("High", "Very high") else rosh,
                "problems": problems,
            }
        )
    return version, rows


def kept_cases(raw: Path) -> tuple[list[dict], Counter]:
    """The kept cases of a raw folder, and a Counter of why other rows were dropped."""
    dropped: Counter = Counter()
    latest: dict[str, list[dict]] = {}
    for area_dir in sorted(p for p in raw.iterdir() if p.is_dir()):
        files = sorted(f for f in area_dir.glob("*.csv") if not f.name.startswith("."))
        for old in files[:-1]:
            dropped["superseded"] += len(read_file(old)[1])
        rows = read_file(files[-1])[1]
        seen: set[str] = set()
        unique = []
        for row in rows:
            if row["line"] in seen:
                dropped["exact_duplicate"] += 1
                continue
            seen.add(row["line"])
            unique.append(row)
        refs = Counter(row["case_ref"] for row in unique)
        kept = []
        for row in unique:
            if refs[row["case_ref"]] > 1:
                dropped["conflicting_duplicate"] += 1
            elif row["problems"]:
                dropped[row["problems"][0]] += 1
            else:
                kept.append(row)
        latest[area_dir.name] = kept
    areas_of = Counter(ref for rows in latest.values() for ref in {r["case_ref"] for r in rows})
    cases = []
    for rows in latest.values():
        for row in rows:
            if areas_of[row["case_ref"]] > 1:
                dropped["case_in_several_areas"] += 1
            else:
                cases.append(row)
    return cases, dropped


def tabulate(cases: list[dict]) -> dict[tuple[str, str, str, str], tuple[int, int]]:
    """(question, variable, level, provider) -> (n, yes), providers All/CRC/NPS."""
    table: dict[tuple[str, str, str, str], list[int]] = {}
    for case in cases:
        for question in QUESTIONS:
            answer = case[question]
            if answer is None:
                continue
            for provider in ("All", case["provider"]):
                keys = [("all", "All cases")] + [
                    (v, case[v]) for v in TABLE_VARIABLES if case[v] is not None
                ]
                for variable, level in keys:
                    cell = table.setdefault((question, variable, level, provider), [0, 0])
                    cell[0] += 1
                    cell[1] += int(answer)
    return {key: (n, yes) for key, (n, yes) in table.items()}
