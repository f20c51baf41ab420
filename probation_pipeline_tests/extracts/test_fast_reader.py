"""The Arrow reader gives exactly the frames (and errors) of the row-by-row reference reader."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from probation_pipeline.extracts import parsing
from probation_pipeline.extracts.errors import ExtractError
from probation_pipeline.extracts.reader import list_extract_files, read_extract
from probation_pipeline.extracts.versions import V1, V2
from probation_pipeline.records.pseudonym import Pseudonymiser
from probation_pipeline_tests.extract_fixtures import v2_row
from probation_pipeline_tests.shipped import ANSWERS, REPO
from probation_pipeline_tests.slow_paths.reader import read_extract_by_rows

PSEUDO = Pseudonymiser("test-key")
EXAMPLES = REPO.parent / "shared" / "examples"


def assert_same_read(path: Path) -> None:
    """Both readers give identical frames, or both fail with the same error."""
    try:
        expected = read_extract_by_rows(path, PSEUDO, ANSWERS)
    except ExtractError as error:
        with pytest.raises(type(error)) as raised:
            read_extract(path, PSEUDO, ANSWERS)
        assert str(raised.value) == str(error)
        return
    got = read_extract(path, PSEUDO, ANSWERS)
    assert (got.form_version, got.sha256, got.file) == (
        expected.form_version,
        expected.sha256,
        expected.file,
    )
    pd.testing.assert_frame_equal(got.rows, expected.rows, check_exact=True)
    assert got.rows.to_parquet(index=False) == expected.rows.to_parquet(index=False)


def test_shipped_sample_reads_identically():
    files = list_extract_files(REPO / "data" / "raw")
    assert len(files) == 15
    for file in files:
        assert_same_read(file.path)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("v*.csv")))
def test_shared_examples_read_identically(tmp_path, example):
    name = example.split("_", 1)[1]
    target = tmp_path / name.rsplit("-", 2)[0] / name
    target.parent.mkdir(parents=True)
    target.write_bytes((EXAMPLES / example).read_bytes())
    assert_same_read(target)


def _v2_text(rows: list[dict[str, str]]) -> str:
    def quoted(value: str) -> str:
        return f'"{value}"' if "," in value else value

    lines = [",".join(V2.header)] + [",".join(quoted(r[h]) for h in V2.header) for r in rows]
    return "\n".join(lines) + "\n"


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "gwent" / "gwent-2017-01.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


GOOD = _v2_text([v2_row("gwent-2017-01", f"K{n:06d}") for n in range(1, 6)])
LINES = GOOD.splitlines(keepends=True)
BODY = "gwent-2017-01,Gwent,2017-01-09,K999999,CRC"

AWKWARD_FILES = {
    "plain": GOOD,
    "windows line ends": GOOD.replace("\n", "\r\n"),
    "no final line end": GOOD.rstrip("\n"),
    "byte-order mark": "\ufeff" + GOOD,
    "empty lines": LINES[0] + "\n" + LINES[1] + "\n\n" + "".join(LINES[2:]) + "\n",
    "blank lines of spaces and commas": LINES[0]
    + "   \n"
    + "," * 21
    + "\n"
    + " ,\t,"
    + "," * 19
    + "\n"
    + "".join(LINES[1:]),
    "short row": GOOD + BODY + "\n",
    "long row": LINES[0] + LINES[1].rstrip("\n") + ",extra\n" + "".join(LINES[2:]),
    "long row blank but for its extra field": GOOD + "," * 21 + ",x\n",
    "quoted fields and doubled quotes": LINES[0]
    + LINES[1].replace("Wales CRC", '"Wales ""South"" CRC"')
    + LINES[2].replace("White: Irish", '"White: Irish"')
    + "".join(LINES[3:]),
    "empty quoted field": LINES[0] + LINES[1].replace(",Yes,", ',"",', 1) + "".join(LINES[2:]),
    "line break inside quotes": LINES[0]
    + LINES[1].replace("Wales CRC", '"Wales\nCRC"')
    + "".join(LINES[2:]),
    "stray quote inside a field": LINES[0]
    + LINES[1].replace("Wales CRC", 'Wal"es CRC')
    + "".join(LINES[2:]),
    "text after a closing quote": LINES[0]
    + LINES[1].replace("Wales CRC", '"Wales" CRC')
    + "".join(LINES[2:]),
    "unclosed quote at the end": GOOD + '"gwent-2017-01,Gwent\n',
    "lone carriage return": LINES[0] + LINES[1].replace("Wales", "Wa\rles") + "".join(LINES[2:]),
    "unicode whitespace around values": LINES[0]
    + LINES[1].replace("Wales CRC", "\u00a0Wales CRC\u2003").replace(",Yes,", ",\x1fYes\x1e,", 1)
    + "".join(LINES[2:]),
    "non-ASCII text": LINES[0] + LINES[1].replace("Wales CRC", "Cymru Ŵ CRC") + "".join(LINES[2:]),
    "header only": LINES[0],
    "empty file": "",
    "unknown header": "case,answer\nK1,Yes\n",
    "header with spaces": LINES[0].replace(",", " , ") + "".join(LINES[1:]),
    "bad dates and refs": LINES[0]
    + LINES[1].replace("2016-04-12", "12/04/2016").replace("K000001", "k1")
    + LINES[2].replace("1989-07-30", "1989-13-30")
    + "".join(LINES[3:]),
    "unknown answer spelling": LINES[0] + LINES[1].replace(",N/A,", ",maybe,") + "".join(LINES[2:]),
}


@pytest.mark.parametrize("name", sorted(AWKWARD_FILES))
def test_awkward_files_read_identically(tmp_path, name):
    assert_same_read(_write(tmp_path, AWKWARD_FILES[name].encode("utf-8")))


def test_arrow_path_takes_plain_files_and_declines_the_rest(tmp_path):
    """The fast path is what the common file gets; anything unusual goes to Python's parser."""
    for name in ("plain", "windows line ends", "short row", "quoted fields and doubled quotes"):
        assert parsing._parse_with_arrow(AWKWARD_FILES[name].encode()) is not None, name
    for name in ("line break inside quotes", "stray quote inside a field", "lone carriage return"):
        assert parsing._parse_with_arrow(AWKWARD_FILES[name].encode()) is None, name


def test_odd_rows_spread_over_many_of_arrows_blocks(tmp_path):
    """Arrow reads in blocks of about 1 MB and numbers rows across them: short, long, blank and
    quoted rows scattered through a 4 MB file come back at their own lines."""
    odd = [
        BODY,
        LINES[1].rstrip("\n") + ",extra",
        "",
        "   ",
        "," * 21,
        LINES[1].replace("Wales CRC", '"Wales, ""South"" CRC"').rstrip("\n"),
    ]
    rows = [LINES[0].rstrip("\n")]
    for n in range(30_000):
        rows.append(
            odd[n % 997 % len(odd)]
            if n % 997 < len(odd)
            else LINES[1 + n % 5].rstrip("\n").replace("K00000", f"K{n % 10}0000")
        )
    data = ("\r\n".join(rows) + "\r\n").encode()
    assert len(data) > 4_000_000  # four of Arrow's blocks at least
    assert parsing._parse_with_arrow(data) is not None
    assert_same_read(_write(tmp_path, data))


def test_bytes_that_are_not_utf8_fail_the_same_way(tmp_path):
    assert_same_read(_write(tmp_path, GOOD.encode() + b"gwent-2017-01,Gw\xffent\n"))
    assert_same_read(_write(tmp_path, GOOD.encode() + b"gwent-2017-01,Gw\x00ent\n"))


def test_v1_numeric_answers_and_uk_dates(tmp_path):
    header = ",".join(V1.header)
    row = (
        "durham-2016-04,Durham,11/04/2016,D550123,CRC,Durham Tees Valley CRC,Community Order,"
        "14/07/2015,Male,24,White: Irish,77,Medium,No,,1,0,1,1,,0"
    )
    data = ("\ufeff" + header + "\r\n" + row + "\r\n" + row.replace("D550123", "D550124")).encode()
    path = tmp_path / "durham" / "durham-2016-04.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    assert_same_read(path)


@pytest.mark.slow
def test_scale_sample_reads_identically(scale_raw):
    """100,000 cases in 40 areas from the scale generator: every file identical to the reference."""
    files = list_extract_files(scale_raw)
    assert len(files) == 40
    for file in files:
        assert_same_read(file.path)
