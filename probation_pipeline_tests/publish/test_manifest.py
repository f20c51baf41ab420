"""Publication id and manifest content."""

from __future__ import annotations

import json
import re

from probation_pipeline.publish.bundle import InputFile
from probation_pipeline.publish.manifest import (
    build_manifest,
    manifest_json,
    package_versions,
    publication_id,
)
from probation_pipeline_tests.publish.conftest import make_bundle

INPUTS = (
    InputFile("raw/a/a-2017-01.csv", "1" * 64, 10),
    InputFile("raw/b/b-2017-02.csv", "2" * 64, 5),
)
DATA = {"judgement_tables.csv": "3" * 64}


def test_id_is_month_and_short_hash() -> None:
    assert re.fullmatch(r"2017-02-[0-9a-f]{12}", publication_id("2017-02", INPUTS, DATA))


def test_id_ignores_input_order_but_not_content() -> None:
    same = publication_id("2017-02", INPUTS, DATA)
    assert publication_id("2017-02", tuple(reversed(INPUTS)), DATA) == same
    changed_input = (INPUTS[0], InputFile("raw/b/b-2017-02.csv", "4" * 64, 5))
    assert publication_id("2017-02", changed_input, DATA) != same
    assert publication_id("2017-02", INPUTS, {"judgement_tables.csv": "5" * 64}) != same


def test_manifest_lists_inputs_accounting_versions_and_outputs() -> None:
    bundle = make_bundle()
    manifest = build_manifest(
        bundle,
        "2017-10-abcdef012345",
        None,
        {"ratings.csv": "6" * 64},
        {"report.html": "7" * 64},
    )
    assert manifest["inputs"][0] == {
        "path": "raw/cumbria/cumbria-2016-03.csv",
        "sha256": "a" * 64,
        "rows": 60,
    }
    assert manifest["row_accounting"]["quarantined"] == 5
    assert manifest["row_accounting"]["raw_rows"] == 190
    assert manifest["code"]["package"] == "probation_pipeline"
    assert manifest["dependencies"]["pandas"] == package_versions()["pandas"]
    assert manifest["outputs"] == {
        "data_files": [{"path": "ratings.csv", "sha256": "6" * 64}],
        "documents": [{"path": "report.html", "sha256": "7" * 64}],
    }
    text = manifest_json(manifest)
    assert text.endswith("}\n") and json.loads(text) == manifest
