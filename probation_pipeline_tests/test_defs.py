"""The definitions load, and the asset graph is pinned: a change to it is a deliberate change here."""

import dagster as dg

from probation_pipeline.definitions import defs
from probation_pipeline.defs.resources import WAREHOUSE_POOL

AREA_OUTPUTS = {"area_cases", "area_quarantine", "area_accounting", "area_files", "area_counts"}
POOLED_RECORDS = ("case_records", "quarantine", "row_accounting", "input_files", "subgroup_counts")
ANALYSIS_OUTPUTS = (
    "judgement_tables",
    "area_judgement_tables",
    "model_steps",
    "model_coefficients",
    "model_summaries",
    "ratings",
    "area_ratings",
)
EXPECTED_DEPENDENCIES: dict[str, set[str]] = {
    "raw_extracts": set(),
    **{key: {"raw_extracts"} for key in AREA_OUTPUTS},
    **dict.fromkeys(POOLED_RECORDS, AREA_OUTPUTS),
    # Computed from the pooled records' subgroup counts, not from a row per case (issue 15).
    **{key: {"subgroup_counts"} for key in ANALYSIS_OUTPUTS},
    # The area rows of the ratings: rated once, so the two always agree.
    "area_ratings": {"ratings"},
    # Every national output of the same refresh, and only those: never raw_extracts, which an
    # area run rewrites, nor the per-area tables and ratings; its headline counts come from the
    # subgroup counts, not from a row per case.
    "publication": {*POOLED_RECORDS, *ANALYSIS_OUTPUTS}
    - {"area_judgement_tables", "area_ratings", "case_records"},
}
EXPECTED_CHECKS = {
    ("model_summaries", "models_fit_cleanly"),
    ("model_summaries", "reproduces_bulletin_findings"),
    ("judgement_tables", "reproduces_bulletin_2018_01"),
    ("case_records", "case_records_match_schema"),
    ("row_accounting", "row_accounting_closes"),
    ("case_records", "every_area_in_force"),
}
AREA_PARTITIONED = {"raw_extracts", *AREA_OUTPUTS}
EXPECTED_GROUPS = {
    "raw_extracts": "ingest",
    **dict.fromkeys((*AREA_OUTPUTS, *POOLED_RECORDS), "records"),
    **dict.fromkeys(ANALYSIS_OUTPUTS, "analysis"),
    "publication": "publication",
}


def test_asset_graph_is_pinned():
    graph = defs.resolve_asset_graph()
    actual = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    assert actual == EXPECTED_DEPENDENCIES


def test_partitioning_groups_and_checks():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        assert (node.partitions_def is not None) == (name in AREA_PARTITIONED), name
        assert node.group_name == EXPECTED_GROUPS[name], name
        assert node.description, name
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert checks == EXPECTED_CHECKS


def test_jobs_resolve():
    assert defs.resolve_job_def("area_job").partitions_def is not None
    assert defs.resolve_job_def("national_job").partitions_def is None


def test_pooled_assets_descend_from_raw_extracts_only_through_the_area_records():
    graph = defs.resolve_asset_graph()
    raw = dg.AssetKey("raw_extracts")
    for key in graph.get_all_asset_keys():
        if graph.get(key).partitions_def is None:
            assert raw not in graph.get(key).parent_keys, key


def test_every_writer_of_pooled_assets_or_their_inputs_is_in_the_warehouse_pool():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        expected = set() if key.to_user_string() == "raw_extracts" else {WAREHOUSE_POOL}
        assert graph.get(key).pools == expected, key


def test_owners_kinds_and_automation_are_applied_once_to_every_asset():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == ["team:research-and-analysis"], key
        assert {"pandas", "parquet"} <= set(node.kinds), key
        eager = key.to_user_string() != "raw_extracts"
        assert (node.automation_condition == dg.AutomationCondition.eager()) == eager, key
        assert node.code_version is None, key  # no hand-kept version that is never bumped


def test_area_assets_backfill_in_one_run():
    graph = defs.resolve_asset_graph()
    for name in AREA_PARTITIONED:
        policy = graph.get(dg.AssetKey(name)).backfill_policy
        assert policy == dg.BackfillPolicy.single_run(), name


def test_automation_is_declared():
    assert (
        defs.resolve_sensor_def("raw_extract_sensor").default_status
        == dg.DefaultSensorStatus.RUNNING
    )
    assert (
        defs.resolve_sensor_def("probation_automation").default_status
        == dg.DefaultSensorStatus.RUNNING
    )
    assert (
        defs.resolve_schedule_def("full_refresh_schedule").default_status
        == dg.DefaultScheduleStatus.STOPPED
    )
    graph = defs.resolve_asset_graph()
    for name in ("case_records", "quarantine", "row_accounting"):
        assert graph.get(dg.AssetKey(name)).automation_condition is not None, name
