"""The definitions load, and the asset graph is pinned: a change to it is a deliberate change here."""

from probation_pipeline.definitions import defs

EXPECTED_DEPENDENCIES: dict[str, set[str]] = {
    "raw_extracts": set(),
    "area_cases": {"raw_extracts"},
    "area_quarantine": {"raw_extracts"},
    "area_accounting": {"raw_extracts"},
    "case_records": {"area_cases", "area_quarantine", "area_accounting"},
    "quarantine": {"area_cases", "area_quarantine", "area_accounting"},
    "row_accounting": {"area_cases", "area_quarantine", "area_accounting"},
    "judgement_tables": {"case_records"},
    "area_judgement_tables": {"case_records"},
    "model_steps": {"case_records"},
    "model_coefficients": {"case_records"},
    "model_summaries": {"case_records"},
    "ratings": {"case_records"},
    "area_ratings": {"case_records"},
    "publication": {
        "case_records",
        "judgement_tables",
        "ratings",
        "model_steps",
        "model_coefficients",
        "model_summaries",
        "row_accounting",
        "quarantine",
        "raw_extracts",
    },
}
EXPECTED_CHECKS = {
    ("model_summaries", "models_fit_cleanly"),
    ("judgement_tables", "reproduces_bulletin_2018_01"),
    ("case_records", "case_records_match_schema"),
    ("case_records", "row_accounting_closes"),
    ("case_records", "every_area_in_force"),
}
AREA_PARTITIONED = {
    "raw_extracts",
    "area_cases",
    "area_quarantine",
    "area_accounting",
    "area_judgement_tables",
    "area_ratings",
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
        assert node.group_name in {"ingest", "records", "analysis", "publication"}
        assert node.description, name
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert checks == EXPECTED_CHECKS


def test_jobs_resolve():
    assert defs.resolve_job_def("area_job").partitions_def is not None
    assert defs.resolve_job_def("national_job")
    assert defs.resolve_job_def("area_outputs_job").partitions_def is not None


def test_automation_is_declared():
    import dagster as dg

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
