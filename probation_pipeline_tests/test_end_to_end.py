"""The shipped sample through the whole pipeline: Bulletin 2018/01 reproduced cell for cell."""

import json

import pandas as pd
import pytest

from probation_pipeline.publish.data_files import DATA_FILE_STEMS
from probation_pipeline.records.accounting import ALL_AREAS
from probation_pipeline.reference import Reference
from probation_pipeline.sample.defects import expected_defects
from probation_pipeline.stats.reproduction import compare_with_bulletin
from probation_pipeline_tests.publish.browser import assert_readable, render
from probation_pipeline_tests.publish.reader_tools import ods_cells, reader_problems, xlsx_cells
from probation_pipeline_tests.sample_pipeline import check_evaluations, run_shipped_sample

QUARANTINE_RULES = {
    "conflicting_duplicate": "conflicting duplicate",
    "case_in_several_areas": "case in the latest inspections of several areas",
}


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROBATION_PSEUDONYM_KEY", "end-to-end-test-key")
        yield run_shipped_sample(tmp_path_factory.mktemp("sample") / "data")


@pytest.fixture(scope="module")
def warehouse(sample_run):
    return lambda name: pd.read_parquet(sample_run.paths.warehouse / f"{name}.parquet")


def test_every_run_succeeds(sample_run):
    assert sample_run.outcome and all(sample_run.outcome.values()), sample_run.outcome


def test_all_455_published_cells_are_reproduced(sample_run, warehouse):
    reference = Reference(sample_run.paths.reference)
    comparison = compare_with_bulletin(warehouse("judgement_tables"), reference)
    assert len(comparison) == 455
    assert comparison["matches"].all(), comparison.loc[~comparison["matches"]].to_string()


def test_the_standing_reproduction_check_applies_and_passes(sample_run):
    evaluation = check_evaluations(sample_run.instance)["reproduces_bulletin_2018_01"]
    metadata = {k: v.value for k, v in evaluation.metadata.items()}
    assert evaluation.passed
    assert metadata["applies"] is True
    assert (metadata["cells_compared"], metadata["cells_matched"]) == (455, 455)


def test_every_check_passes_on_the_sample(sample_run):
    evaluations = check_evaluations(sample_run.instance)
    assert set(evaluations) == {
        "case_records_match_schema",
        "every_area_in_force",
        "row_accounting_closes",
        "reproduces_bulletin_2018_01",
        "models_fit_cleanly",
        "reproduces_bulletin_findings",
    }
    assert all(e.passed for e in evaluations.values())


def test_the_models_select_the_bulletins_variables(sample_run):
    evaluation = check_evaluations(sample_run.instance)["reproduces_bulletin_findings"]
    metadata = {k: v.value for k, v in evaluation.metadata.items()}
    assert metadata["applies"] is True
    assert (metadata["questions_compared"], metadata["questions_matched"]) == (7, 7)
    assert metadata["terms_against_published_direction"] == "none"
    assert evaluation.passed


def test_headline_counts(sample_run, warehouse):
    records = warehouse("case_records")
    nps = records["provider"] == "NPS"
    high_rosh = records["rosh_level"].isin(["High", "Very high"])
    mappa = records["mappa_eligible"].eq(True)
    observed = {
        "total_cases": len(records),
        "crc_cases": int((~nps).sum()),
        "nps_cases": int(nps.sum()),
        "female_cases": int(records["gender"].eq("Female").sum()),
        "post_release_custody_cases": int(records["supervision_type"].eq("Post-custody").sum()),
        "rosh_high_or_very_high_cases": int(high_rosh.sum()),
        "mappa_eligible_cases": int(mappa.sum()),
    }
    published = Reference(sample_run.paths.reference).headline_counts
    expected = dict(zip(published["measure"], published["n"].astype(int), strict=True))
    assert observed == expected  # 7/7
    assert nps[high_rosh].all() and nps[mappa].all()
    assert records["mappa_eligible"].isna().any()  # some MAPPA status unknown


def test_superseded_london_inspection_and_accounting(warehouse):
    accounting = warehouse("row_accounting").set_index("area")
    london = accounting.loc["london"]
    assert london["superseded"] > 150
    records = warehouse("case_records")
    assert set(records.loc[records["area"] == "london", "inspection_id"]) == {"london-2017-10"}
    total = accounting.loc[ALL_AREAS]
    assert (
        total["raw_rows"] == total[["kept", "superseded", "exact_duplicates", "quarantined"]].sum()
    )
    assert total["kept"] == 1066


def test_every_defect_lands_in_quarantine_or_the_duplicate_count(warehouse):
    quarantine = warehouse("quarantine")
    accounting = warehouse("row_accounting").set_index("area")
    defects = expected_defects()
    for defect in defects:
        area = defect.inspection_id.rsplit("-", 2)[0]
        if defect.rule == "exact_duplicate":
            assert accounting.loc[area, "exact_duplicates"] == defect.rows, defect
            continue
        rule = QUARANTINE_RULES.get(defect.rule, defect.rule)
        caught = quarantine[
            (quarantine["inspection_id"] == defect.inspection_id)
            & quarantine["rule"].str.contains(rule, regex=False)
        ]
        assert len(caught) == defect.rows, (defect, quarantine.to_string())
    quarantined_defects = sum(d.rows for d in defects if d.rule != "exact_duplicate")
    assert len(quarantine) == quarantined_defects
    assert accounting.loc[ALL_AREAS, "exact_duplicates"] == sum(
        d.rows for d in defects if d.rule == "exact_duplicate"
    )


def test_publication_is_complete_and_holds_no_personal_data(sample_run):
    latest = sample_run.paths.published / "latest"
    names = {p.name for p in latest.iterdir()}
    assert {
        "tables.xlsx",
        "judgement_tables.csv",
        "ratings.csv",
        "model_steps.csv",
        "model_coefficients.csv",
        "report.html",
        "manifest.json",
    } <= names
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["row_accounting"]["kept"] == 1066
    raw_text = "\n".join(
        p.read_text(encoding="utf-8-sig") for p in sorted(sample_run.paths.raw.rglob("*.csv"))
    )
    refs = set(pd.Series(raw_text.split(",")).str.extract(r"^([A-Z]\d{6})$")[0].dropna())
    assert len(refs) > 1000
    for path in latest.iterdir():
        if path.suffix in {".csv", ".html", ".json", ".md"}:
            text = path.read_text()
            leaked = [ref for ref in refs if ref in text]
            assert not leaked, (path.name, leaked[:3])


def test_a_silently_shifted_answer_is_caught_and_blocks_the_publication(tmp_path, monkeypatch):
    import csv
    import io
    import shutil

    import dagster as dg

    from probation_pipeline.definitions import build_definitions
    from probation_pipeline.materialize import materialize_all
    from probation_pipeline.paths import DataPaths
    from probation_pipeline_tests.shipped import REPO

    monkeypatch.setenv("PROBATION_PSEUDONYM_KEY", "shift-test-key")
    root = tmp_path / "data"
    shutil.copytree(REPO / "data" / "raw", root / "raw")
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    path = root / "raw" / "gwent" / "gwent-2017-01.csv"
    rows = list(csv.reader(io.StringIO(path.read_text())))
    header, body = rows[0], rows[1:]
    refs = [row[header.index("case_ref")] for row in body]
    column = header.index("q_diversity")
    target = next(
        i for i, row in enumerate(body) if refs.count(refs[i]) == 1 and row[column] == "Yes"
    )
    body[target][column] = "No"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    path.write_text(out.getvalue())

    paths = DataPaths(root)
    instance = dg.DagsterInstance.ephemeral()
    outcome = materialize_all(build_definitions(paths), paths, instance)
    assert outcome["gwent"] and outcome["national"] is False
    evaluation = check_evaluations(instance)["reproduces_bulletin_2018_01"]
    assert not evaluation.passed
    differing = evaluation.metadata["differing_cells"].value
    assert "Table 2 diversity all=All cases All" in differing
    assert "Table 1" not in differing  # only the diversity question moved
    assert not (root / "published").exists()  # the blocking check stopped the publication


def test_the_run_summary_reports_each_check(sample_run):
    import dagster as dg

    from probation_pipeline.materialize import summarise_checks, summarise_outputs

    national = sample_run.instance.get_runs(filters=dg.RunsFilter(job_name="national_job"))[0]
    checks = summarise_checks(sample_run.instance, national.run_id)
    assert "reproduces_bulletin_2018_01    passed  455/455 published cells" in checks
    assert "row_accounting_closes          passed  0 rows unaccounted for" in checks
    assert "reproduces_bulletin_findings   passed  7/7 selections as published" in checks
    outputs = summarise_outputs(sample_run.paths)
    assert "1280 raw = 1066 kept + 203 superseded + 3 exact duplicates + 8 quarantined" in outputs


def test_publication_reads_as_a_reader_needs(sample_run):
    latest = sample_run.paths.published / "latest"
    reference = Reference(sample_run.paths.reference)
    assert {"tables.ods", "tables.xlsx", "data_dictionary.csv"} <= {
        p.name for p in latest.iterdir()
    }
    assert reader_problems(xlsx_cells(latest / "tables.xlsx"), reference) == []
    assert reader_problems(ods_cells(latest / "tables.ods"), reference) == []
    html = (latest / "report.html").read_text(encoding="utf-8")
    # The shipped sample is synthetic and says so; main points are written from its numbers.
    assert "Synthetic data: These figures are computed from the synthetic sample" in html
    assert "NPS cases were judged sufficient more often than CRC cases on 7 of 7 questions" in html
    # The contract CSV keeps its codes; the labels are extra columns named in the dictionary.
    ratings = pd.read_csv(latest / "ratings.csv")
    assert {"area", "area_name", "key_area", "key_area_label"} <= set(ratings.columns)
    assert "Cumbria" in set(ratings["area_name"]) and "cumbria" in set(ratings["area"])
    dictionary = pd.read_csv(latest / "data_dictionary.csv")
    assert set(dictionary["file"]) == {f"{stem}.csv" for stem in DATA_FILE_STEMS}


def test_report_fits_a_phone_and_a_desktop_in_chromium(sample_run):
    report = sample_run.paths.published / "latest" / "report.html"
    assert_readable(render(report, (400, 1280)))


def test_manifest_records_generation_time_and_code_revision_outside_the_id(sample_run):
    latest = sample_run.paths.published / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["generated_at"].endswith("Z")
    revision = manifest["code"]["revision"]
    assert revision is None or len(revision.split("+")[0]) == 40
    listed = {entry["path"] for entry in manifest["outputs"]["data_files"]}
    assert "data_dictionary.csv" in listed and "manifest.json" not in listed
