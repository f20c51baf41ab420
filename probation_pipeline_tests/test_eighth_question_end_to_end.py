"""Adding an eighth question is reference data and a form version: no code changes (issue 13).

As a user would add one: in a copy of the shipped data, a row for the new question in
`reference/questions.csv`, a form version `v4` carrying it (here a test-local entry in the registry,
a v3 export with one more column) and the three v3 inspections exported in v4. Then every asset is
materialised. The question must be read with nothing quarantined for it and reach the records, the
judgement tables, the models, the ratings of its key area and the publication, while Bulletin
2018/01, which has no such question, is still reproduced cell for cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from probation_pipeline.definitions import build_definitions
from probation_pipeline.extracts import versions
from probation_pipeline.materialize import materialize_all
from probation_pipeline.paths import DataPaths
from probation_pipeline_tests.publish.reader_tools import ods_cells, xlsx_cells
from probation_pipeline_tests.sample_pipeline import check_evaluations
from probation_pipeline_tests.shipped import REPO

pytestmark = pytest.mark.slow

QUESTION = "plan_sufficient"
HEADER = "q_plan_sufficient"
WORDING = "Was the sentence plan sufficient to address the factors linked to reoffending?"
SHORT_LABEL = "Sentence plan"
QUESTION_ROW = f"{QUESTION},8,engagement,yes,{SHORT_LABEL},{WORDING}\n"
# The form version that carries it: the v3 export with the new question as its last column.
V4 = replace(versions.V3, name="v4", columns={**versions.V3.columns, HEADER: QUESTION})
V3_INSPECTIONS = ("cumbria-2017-07", "west-mercia-2017-08", "london-2017-10")


def _answer(case_ref: str) -> str:
    # From the case reference, so the sample's exact duplicate stays an exact duplicate.
    return ("Yes", "Yes", "No", "N/A")[hashlib.sha256(case_ref.encode()).digest()[0] % 4]


def _export_in_v4(path: Path) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    assert tuple(rows[0]) == versions.V3.header
    refs = rows[0].index("case_ref")
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(
        [[*rows[0], HEADER], *([*row, _answer(row[refs])] for row in rows[1:])]
    )
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("eighth") / "data"
    shutil.copytree(REPO / "data" / "raw", root / "raw")
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    with (root / "reference" / "questions.csv").open("a", encoding="utf-8") as questions:
        questions.write(QUESTION_ROW)
    for inspection in V3_INSPECTIONS:
        _export_in_v4(root / "raw" / inspection.rsplit("-", 2)[0] / f"{inspection}.csv")
    paths = DataPaths(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROBATION_PSEUDONYM_KEY", "eighth-question-test-key")
        # The one code-side change a new form version needs: its entry in the registry.
        patch.setattr(versions, "FORM_VERSIONS", (*versions.FORM_VERSIONS, V4))
        instance = dg.DagsterInstance.ephemeral()
        outcome = materialize_all(build_definitions(paths), paths, instance)
    return paths, instance, outcome


@pytest.fixture(scope="module")
def warehouse(run):
    paths = run[0]
    return lambda name: pd.read_parquet(paths.warehouse / f"{name}.parquet")


def test_every_run_succeeds(run) -> None:
    outcome = run[2]
    assert outcome and all(outcome.values()), outcome


def test_the_question_is_read_and_nothing_is_quarantined_for_it(warehouse) -> None:
    records = warehouse("case_records")
    assert QUESTION in records.columns
    assert str(records[QUESTION].dtype) == "boolean"
    v4 = records["form_version"].eq("v4")
    assert set(records.loc[v4, "inspection_id"]) == set(V3_INSPECTIONS)
    assert records.loc[v4, QUESTION].notna().sum() > 100
    assert records.loc[~v4, QUESTION].isna().all()  # not asked before v4
    quarantine = warehouse("quarantine")
    from_v4 = quarantine[quarantine["inspection_id"].isin(V3_INSPECTIONS)]
    # Only the sample's planted defect in these files (one CRC case marked MAPPA eligible).
    assert from_v4["rule"].tolist() == ["mappa_eligible_only_nps"]
    assert not quarantine["rule"].str.contains(f"form_version|{QUESTION}").any()


def test_the_bulletin_is_still_reproduced_without_the_question(run) -> None:
    evaluation = check_evaluations(run[1])["reproduces_bulletin_2018_01"]
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    assert evaluation.passed and metadata["applies"] is True
    assert (metadata["cells_compared"], metadata["cells_matched"]) == (455, 455)
    # The bulletin's significance findings too: its seven questions, not the eighth.
    findings = check_evaluations(run[1])["reproduces_bulletin_findings"]
    metadata = {key: value.value for key, value in findings.metadata.items()}
    assert (metadata["questions_compared"], metadata["questions_matched"]) == (7, 7)


def test_the_question_has_a_judgement_table(warehouse) -> None:
    tables = warehouse("judgement_tables")
    mine = tables[tables["question_id"] == QUESTION]
    everyone = mine[(mine["variable"] == "all") & (mine["provider"] == "All")]
    records = warehouse("case_records")
    assert everyone["n"].tolist() == [records[QUESTION].notna().sum()]
    assert everyone["yes"].tolist() == [records[QUESTION].eq(True).sum()]
    assert QUESTION in set(warehouse("area_judgement_tables")["question_id"])


def test_the_question_is_modelled(warehouse) -> None:
    summaries = warehouse("model_summaries")
    assert QUESTION in summaries["question_id"].tolist()
    assert QUESTION in set(warehouse("model_steps")["question_id"])


def test_the_question_counts_in_its_key_areas_rating(warehouse) -> None:
    records = warehouse("case_records")
    ratings = warehouse("ratings")
    national = ratings[ratings["scope"].eq("national") & ratings["key_area"].eq("engagement")]
    crc = national[national["provider"] == "CRC"].iloc[0]
    # Sufficient in engagement: every answered question of the key area yes, the new one included.
    cases = records[records["provider"] == "CRC"][["barriers", "diversity", QUESTION]]
    answered = cases.notna().any(axis=1)
    every_yes = (cases.eq(True) | cases.isna()).all(axis=1)
    assert (crc["n"], crc["sufficient"]) == (answered.sum(), (answered & every_yes).sum())


def test_the_publication_shows_the_question(run) -> None:
    latest = run[0].published / "latest"
    for name in ("judgement_tables", "model_summaries", "model_steps"):
        assert WORDING in set(pd.read_csv(latest / f"{name}.csv")["question"]), name
        assert QUESTION in set(pd.read_parquet(latest / f"{name}.parquet")["question_id"]), name
    report = (latest / "report.html").read_text(encoding="utf-8")
    assert WORDING in report and SHORT_LABEL in report
    assert "Tables 1 to 8: judgements by provider and subgroup" in report
    assert "Tables 1 to 7" not in report
    for cells in (xlsx_cells, ods_cells):
        name = "tables.xlsx" if cells is xlsx_cells else "tables.ods"
        found = list(cells(latest / name))
        assert any(isinstance(value, str) and WORDING in value for _, value in found), name
        assert "Table_8" in {sheet for sheet, _ in found}, name
