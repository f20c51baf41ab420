"""A corpus of malformed extracts generated from the shipped ones, each with the behaviour it is owed.

Every variant is one shipped file changed one way (encodings, truncation, binary and renamed
spreadsheets, ragged rows, NUL bytes, repeated headers, every validation rule, duplicates,
file/folder/content mismatches, formula and HTML strings in every text field). It goes through
the area's domain steps (read and check every file, prepare the area, the fitness gate); the owed
behaviour is one of: a file error naming the file and what is wrong; the changed rows quarantined
with their rule (area still fit); counted as a duplicate; or the area failing the fitness gate.
Two variants also go through `python -m probation_pipeline.materialize` beside another shipped
area, judged as the independent acceptance judges: exit code, printed output, and
`warehouse/row_accounting.parquet` / `warehouse/quarantine.parquet`.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from probation_pipeline.contracts import columns
from probation_pipeline.extracts.contents import read_area_extracts
from probation_pipeline.extracts.reader import list_extract_files
from probation_pipeline.extracts.versions import (
    FORM_VERSIONS,
    detect_form_version,
    registered_versions,
)
from probation_pipeline.records.accounting import ACCOUNTING_COLUMNS, QuarantineSchema
from probation_pipeline.records.area import prepare_area_cases
from probation_pipeline.records.fitness import FitnessGate, assess_area
from probation_pipeline.records.pseudonym import Pseudonymiser
from probation_pipeline_tests.shipped import RAW, REFERENCE, REPO

PSEUDO = Pseudonymiser("corpus-key")
FORMULA = '=HYPERLINK("http://example.invalid","x")'
HTML = "<script>alert(1)</script>"


def _version_area(name: str) -> str:
    """A shipped area with one file in form version `name`."""
    for folder in sorted(RAW.iterdir()):
        files = list(folder.glob("*.csv"))
        if len(files) == 1:
            header = next(csv.reader(io.StringIO(files[0].read_bytes().decode("utf-8-sig"))))
            version = detect_form_version(tuple(header))
            if version is not None and version.name == name:
                return folder.name
    raise LookupError(name)


AREAS = {version.name: _version_area(version.name) for version in FORM_VERSIONS}


@dataclass
class Extract:
    """A shipped extract as header and rows, written back in its version's conventions."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    bom: bool
    crlf: bool

    @classmethod
    def load(cls, path: Path) -> Extract:
        data = path.read_bytes()
        table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        return cls(path, table[0], table[1:], data.startswith(b"\xef\xbb\xbf"), b"\r\n" in data)

    def text(self) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n" if self.crlf else "\n").writerows(
            [self.header, *self.rows]
        )
        return buffer.getvalue()

    def save(self) -> None:
        self.path.write_bytes(("\ufeff" if self.bom else "").encode() + self.text().encode())

    def column(self, canonical: str) -> int:
        version = detect_form_version(tuple(self.header))
        assert version is not None
        names = {target: name for name, target in version.columns.items()}
        return self.header.index(names[canonical])


@dataclass(frozen=True)
class Owed:
    kind: str  # "file error" | "quarantined" | "duplicate" | "unfit" | "fine"
    says: tuple[str, ...] = ()  # substrings of the error or of the rule
    rows: int = 1


def file_error(*says: str) -> Owed:
    return Owed("file error", says)


def quarantined(*says: str, rows: int = 1) -> Owed:
    return Owed("quarantined", says, rows)


def _set(canonical: str, value: str, row: int = 0) -> Callable[[Extract], None]:
    def change(extract: Extract) -> None:
        extract.rows[row][extract.column(canonical)] = value
        extract.save()

    return change


def _set_on_first_crc(**values: str) -> Callable[[Extract], None]:
    """Set canonical fields of the file's first CRC row (for rules only a CRC case can break)."""

    def change(extract: Extract) -> None:
        row = next(r for r in extract.rows if r[extract.column("provider")] == "CRC")
        for canonical, value in values.items():
            row[extract.column(canonical)] = value
        extract.save()

    return change


def _bytes(change: Callable[[bytes], bytes]) -> Callable[[Extract], None]:
    def apply(extract: Extract) -> None:
        extract.path.write_bytes(change(extract.path.read_bytes()))

    return apply


def _rows(change: Callable[[Extract], None]) -> Callable[[Extract], None]:
    def apply(extract: Extract) -> None:
        change(extract)
        extract.save()

    return apply


def _xlsx(extract: Extract) -> None:
    workbook = openpyxl.Workbook()
    for row in [extract.header, *extract.rows]:
        workbook.active.append(row)
    workbook.save(extract.path)


def _header(change: Callable[[list[str]], list[str]], widen: int = 0):
    def apply(extract: Extract) -> None:
        extract.header = change(list(extract.header))
        extract.rows = [row + ["x"] * widen for row in extract.rows]
        extract.save()

    return apply


def _truncate(fraction: float):
    return _bytes(lambda data: data[: int(len(data) * fraction)])


V2 = AREAS["v2"] = "gwent"  # the texts below name gwent's file, provider and row count
# Validation rules, one row each: the field set on one v2 row, the value, what the quarantine says.
ONE_ROW_RULES: dict[str, tuple[str, str, str]] = {
    "age under 18": ("date_of_birth", "2001-01-01", "age_at_least_18"),
    "unknown provider": ("provider", "Private", "provider isin"),
    "unknown gender": ("gender", "Unknown", "gender isin"),
    "unknown sentence type": ("sentence_type", "Fine", "sentence_type isin"),
    "unknown RoSH level": ("rosh_level", "Extreme", "rosh_level isin"),
    "OGRS score above 100": ("ogrs3_score", "100", "ogrs3_score"),
    "OGRS score not a number": ("ogrs3_score", "high", "whole number"),
    "answer not Yes/No": ("diversity", "Maybe", "diversity answer"),
    "ethnicity not ONS": ("ethnicity", "Martian", "ONS 2011"),
    "provider name of another area": (
        "provider_name",
        "Durham Tees Valley CRC",
        "provider_name_matches_area",
    ),
    "blank inspection id": ("inspection_id", "", "inspection_id"),
    "malformed case reference": ("case_ref", "123", "six digits"),
    "sentence date blank": ("sentence_date", "", "sentence date"),
    "sentenced after fieldwork": ("sentence_date", "2017-06-01", "sentence_before_fieldwork"),
}

CASES: dict[str, tuple[str, Callable[[Extract], None], Owed]] = {
    # encodings
    "cp1252 text": (
        V2,
        _bytes(lambda d: d.replace(b"Wales CRC", "Wales CRC \u00a3".encode("cp1252"), 1)),
        file_error("not UTF-8 text"),
    ),
    "utf-16": (V2, _bytes(lambda d: d.decode().encode("utf-16")), file_error("UTF-16")),
    "utf-8 with a byte-order mark": (V2, _bytes(lambda d: b"\xef\xbb\xbf" + d), Owed("fine")),
    "v1 without its byte-order mark and CRLF": (
        AREAS["v1"],
        _bytes(lambda d: d.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")),
        Owed("fine"),
    ),
    # truncation
    "truncated mid-row": (V2, _truncate(0.5), quarantined("row_read_cleanly", "fields")),
    "truncated mid-header": (V2, _truncate(0.005), file_error("nearest is", "missing column(s)")),
    "empty file": (V2, _bytes(lambda d: b""), file_error("empty file")),
    "header only": (V2, _bytes(lambda d: d.split(b"\n")[0] + b"\n"), file_error("header only")),
    "header and blank lines only": (
        V2,
        _bytes(lambda d: d.split(b"\n")[0] + b"\n\n\n"),
        file_error("header only"),
    ),
    # binary and renamed spreadsheets
    "xlsx saved as .csv": (V2, _xlsx, file_error("zip archive")),
    "xls saved as .csv": (
        V2,
        _bytes(lambda d: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + d),
        file_error("OLE2"),
    ),
    "random binary": (V2, _bytes(lambda d: bytes(range(256)) * 4), file_error("NUL byte")),
    "NUL byte in a field": (
        V2,
        _bytes(lambda d: d.replace(b"Wales", b"Wa\x00les", 1)),
        file_error("NUL byte"),
    ),
    # ragged rows
    "row with an extra field": (
        V2,
        _rows(lambda e: e.rows[3].append("surplus")),
        quarantined("row_read_cleanly", "found 23"),
    ),
    "row with a missing field": (
        V2,
        _rows(lambda e: e.rows[3].pop()),
        quarantined("row_read_cleanly", "found 21"),
    ),
    "unterminated quote": (
        V2,
        _bytes(lambda d: d.replace(b",Wales CRC,", b',"Wales CRC,', 1)),
        file_error("broken CSV"),
    ),
    # repeated header
    "header repeated inside": (
        V2,
        _rows(lambda e: e.rows.insert(10, list(e.header))),
        file_error("header row is repeated at line(s) 12"),
    ),
    # headers
    "extra column": (
        V2,
        _header(lambda h: [*h, "extra_col"], widen=1),
        file_error("nearest is v2", "unexpected column(s) 'extra_col'"),
    ),
    "missing column": (
        AREAS["v3"],
        _header(lambda h: h[:-1]),
        file_error("nearest is v3", "missing column(s) 'q_harm_children_post'"),
    ),
    "renamed column": (
        AREAS["v1"],
        _header(lambda h: ["Case Reference" if c == "Case Ref" else c for c in h]),
        file_error("nearest is v1", "'Case Reference'", "missing column(s) 'Case Ref'"),
    ),
    "column in another case": (
        V2,
        _header(lambda h: ["Sex" if c == "sex" else c for c in h]),
        file_error("'Sex' looks like 'sex'"),
    ),
    "repeated column name": (
        V2,
        _header(lambda h: [*h[:-1], "q_barriers"]),
        file_error("repeated column(s) 'q_barriers'"),
    ),
    "reordered columns": (
        V2,
        _header(lambda h: [h[1], h[0], *h[2:]]),
        file_error("another order"),
    ),
    # duplicates
    "exact duplicate row": (V2, _rows(lambda e: e.rows.append(list(e.rows[5]))), Owed("duplicate")),
    "conflicting duplicate": (
        V2,
        _rows(lambda e: e.rows.append([*e.rows[5][:-1], "No" if e.rows[5][-1] != "No" else "Yes"])),
        quarantined("conflicting", rows=2),
    ),
    # file, folder and content mismatches
    "every row names another inspection": (
        V2,
        _rows(
            lambda e: [r.__setitem__(e.column("inspection_id"), "gwent-2016-01") for r in e.rows]
        ),
        file_error("'inspection_id' is not the file name's 'gwent-2017-01' on 52 of 52 rows"),
    ),
    "half the rows name another area": (
        V2,
        _rows(
            lambda e: [
                r.__setitem__(e.column("pcc_area"), "Kent") for r in e.rows[: len(e.rows) // 2]
            ]
        ),
        file_error("'pcc_area' is not the folder 'gwent''s area 'Gwent' on 26 of 52 rows"),
    ),
    "one row names another inspection": (
        V2,
        _set("inspection_id", "gwent-2016-01", row=7),
        file_error("on 1 of 52 rows", "lines 9"),
    ),
    "every provider name of another area": (
        V2,
        _rows(
            lambda e: [
                r.__setitem__(e.column("provider_name"), "Kent, Surrey & Sussex CRC")
                for r in e.rows
            ]
        ),
        Owed("unfit", ("provider_name_matches_area",)),
    ),
    "a fifth of the cases under 18": (
        V2,
        _rows(
            lambda e: [r.__setitem__(e.column("date_of_birth"), "2010-01-01") for r in e.rows[:11]]
        ),
        Owed("unfit", ("11 of 52 rows (21.2%)", "age_at_least_18 (11)")),
    ),
    **{
        name: (V2, _set(field, value), quarantined(says))
        for name, (field, value, says) in ONE_ROW_RULES.items()
    },
    "MAPPA eligible CRC case": (
        V2,
        _set_on_first_crc(mappa_eligible="Yes", mappa_category="2"),
        quarantined("mappa_eligible_only_nps"),
    ),
    "CRC case with high RoSH": (
        V2,
        _set_on_first_crc(rosh_level="High"),
        quarantined("crc_never_high_rosh"),
    ),
}
# Formula and HTML strings in every text field: quarantined (every field has a domain) or, for
# the fields that name the file, a file error; the value itself is never echoed.
for _version in ("v1", "v2", "v3"):
    _area = AREAS[_version]
    _header_names = Extract.load(next((RAW / _area).glob("*.csv"))).header
    _columns = dict(next(v for v in FORM_VERSIONS if v.name == _version).columns)
    for _index, _name in enumerate(_header_names):
        _canonical = _columns[_name]
        _owed = (
            file_error(repr(_name))
            if _canonical in ("inspection_id", "pcc_area")
            else quarantined()
        )
        for _label, _value in (("formula", FORMULA), ("html", HTML)):
            CASES[f"{_label} in {_version} {_name}"] = (_area, _set(_canonical, _value, 4), _owed)


def _run(tmp_path: Path, area: str, change: Callable[[Extract], None]):
    shutil.copytree(RAW / area, tmp_path / area)
    target = sorted((tmp_path / area).glob("*.csv"))[-1]
    change(Extract.load(target))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reads, errors = read_area_extracts(list_extract_files(tmp_path, area), PSEUDO, REFERENCE)
        if errors:
            return target, errors, None, None
        raw = pd.concat([r.rows for r in reads], ignore_index=True)
        result = prepare_area_cases(area, raw, REFERENCE, registered_versions())
        return target, errors, result, assess_area(area, raw, result, FitnessGate())


_BASELINES: dict[str, object] = {}


def _baseline(area: str, tmp_path: Path):
    """The unchanged area's result (computed once per area)."""
    if area not in _BASELINES:
        _, _, _BASELINES[area], _ = _run(tmp_path / "baseline", area, lambda extract: None)
    return _BASELINES[area]


@pytest.mark.parametrize("case", list(CASES))
def test_each_malformed_file_gets_the_behaviour_it_is_owed(tmp_path, case):
    area, change, owed = CASES[case]
    target, errors, result, unfit = _run(tmp_path, area, change)
    name = f"{area}/{target.name}"
    if owed.kind == "file error":
        assert len(errors) == 1, errors
        message = str(errors[0])
        assert name in message, message
        for text in owed.says:
            assert text in message, message
        # A contradicting value may be quoted (repr, shortened) in the message; it stays one line.
        assert "\n" not in message
        return
    assert errors == [], errors
    baseline = _baseline(area, tmp_path)
    added = len(result.quarantine) - len(baseline.quarantine)
    if owed.kind == "fine":
        assert added == 0 and unfit is None
        assert len(result.cases) == len(baseline.cases)
    elif owed.kind == "duplicate":
        assert int(result.accounting["exact_duplicates"].iloc[0]) == (
            int(baseline.accounting["exact_duplicates"].iloc[0]) + 1
        )
        assert unfit is None and added == 0
    elif owed.kind == "quarantined":
        assert unfit is None
        assert added == owed.rows, result.quarantine
        rules = " | ".join(result.quarantine["rule"].astype(str))
        for text in owed.says:
            assert text in rules, rules
        assert FORMULA not in rules and HTML not in rules and "HYPERLINK" not in rules
        assert tuple(result.quarantine.columns) == columns(QuarantineSchema)
    elif owed.kind == "unfit":
        assert unfit is not None
        message = unfit.describe(FitnessGate())
        assert name in message
        for text in owed.says:
            assert text in message, message
    else:  # pragma: no cover - a mistyped case
        raise AssertionError(owed.kind)
    accounting = result.accounting.iloc[0]
    assert accounting["raw_rows"] == sum(
        int(accounting[c]) for c in ("superseded", "exact_duplicates", "quarantined", "kept")
    )


def test_the_corpus_covers_every_kind_of_defect():
    kinds = {owed.kind for _, _, owed in CASES.values()}
    assert kinds == {"file error", "quarantined", "duplicate", "unfit", "fine"}
    assert len(CASES) > 150


# --- end to end, as the independent acceptance runs it -------------------------------------


def _data_dir(root: Path, areas: tuple[str, ...]) -> Path:
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    for area in areas:
        shutil.copytree(RAW / area, root / "raw" / area)
    (root / "home").mkdir()
    (root / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return root


@pytest.mark.parametrize(
    ("case", "printed"),
    [
        ("extra column", ("gwent-2017-01.csv", "'extra_col'")),
        ("a fifth of the cases under 18", ("gwent-2017-01.csv", "age_at_least_18", "21.2%")),
    ],
)
def test_materialize_fails_loudly_beside_a_good_area(tmp_path, case, printed):
    root = _data_dir(tmp_path / "data", ("gwent", "kent"))
    _, change, _ = CASES[case]
    change(Extract.load(root / "raw" / "gwent" / "gwent-2017-01.csv"))
    # A process of its own, as `make run` and the acceptance runs start it.
    out = subprocess.run(
        [sys.executable, "-m", "probation_pipeline.materialize"],
        cwd=REPO,
        env={
            **os.environ,
            "PROBATION_DATA_DIR": str(root),
            "DAGSTER_HOME": str(root / "home"),
            "PROBATION_PSEUDONYM_KEY": "corpus-key",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    code = out.returncode
    printed_text = out.stdout + out.stderr
    assert code == 1
    for text in printed:
        assert text in printed_text
    assert "Not fit to publish: gwent" in out.stderr
    accounting = pd.read_parquet(root / "warehouse" / "row_accounting.parquet")
    quarantine = pd.read_parquet(root / "warehouse" / "quarantine.parquet")
    assert tuple(accounting.columns) == ACCOUNTING_COLUMNS
    assert tuple(quarantine.columns) == columns(QuarantineSchema)
    # gwent never had an inspection in force: it is not pooled, and nothing is published.
    assert "gwent" not in set(accounting["area"]) and "kent" in set(accounting["area"])
    assert not (quarantine["area"] == "gwent").any()
    assert not (root / "published").exists()
