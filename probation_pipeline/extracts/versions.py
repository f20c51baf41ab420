"""The form versions of the case assessment extract (DESIGN.md section 4).

Each version is one `FormVersion` entry: its exact header row, how its columns map to the canonical
raw columns, its date format and how it spells answers. The reader recognises a file's version from
its header alone. Adding a fourth version means adding one entry to `FORM_VERSIONS`.

A version's columns are the case fields of `CASE_RAW_COLUMNS` and its judgements: the questions of
`questions.csv` it asks, and further stages of them (v3's `harm_public_post`). A new question needs
its row in `questions.csv` and a version that maps a column to its `question_id`, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# Canonical raw columns of the case every adapter produces (strings; <NA> = blank); the judgements
# follow them. Personal fields (case_ref, date_of_birth) are consumed by the reader and never leave it.
CASE_RAW_COLUMNS: tuple[str, ...] = (
    "inspection_id",
    "pcc_area",
    "fieldwork_start",
    "case_ref",
    "provider",
    "provider_name",
    "sentence_type",
    "sentence_date",
    "gender",
    "date_of_birth",
    "age",
    "ethnicity",
    "ogrs3_score",
    "rosh_level",
    "mappa_eligible",
    "mappa_category",
)


@dataclass(frozen=True)
class FormVersion:
    """One layout of the extract.

    `columns` maps each header of the file, in file order, to a canonical raw column. `answers`
    maps the file's answer spellings to Yes/No; any other non-blank answer is a domain error, and
    spellings in `not_applicable` count as no judgement. Every canonical column that is not a
    case field (`CASE_RAW_COLUMNS`) is a judgement (`answer_columns`).
    """

    name: str
    columns: dict[str, str]
    date_format: str
    answers: dict[str, str]
    not_applicable: frozenset[str] = frozenset()
    bom: bool = (
        False  # whether the export starts with a UTF-8 byte-order mark (the reader strips it)
    )
    line_end: str = "\n"  # how the export ends lines (the reader accepts either)

    def spelling(self, answer: str | None) -> str:
        """How this version writes Yes, No or None (no judgement)."""
        if answer is None:
            return next(iter(sorted(self.not_applicable)), "")
        return next(text for text, meaning in self.answers.items() if meaning == answer)

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(self.columns)

    @property
    def answer_columns(self) -> tuple[str, ...]:
        """The judgements this version carries (canonical names, in file order)."""
        return tuple(c for c in self.columns.values() if c not in CASE_RAW_COLUMNS)


_V2_COMMON: dict[str, str] = {
    "inspection_id": "inspection_id",
    "pcc_area": "pcc_area",
    "fieldwork_start": "fieldwork_start",
    "case_ref": "case_ref",
    "provider": "provider",
    "provider_name": "provider_name",
    "sentence_type": "sentence_type",
    "sentence_date": "sentence_date",
    "sex": "gender",
    "date_of_birth": "date_of_birth",
    "ethnicity": "ethnicity",
    "ogrs3_score": "ogrs3_score",
    "rosh_level": "rosh_level",
    "mappa_eligible": "mappa_eligible",
    "mappa_category": "mappa_category",
    "q_barriers": "barriers",
    "q_diversity": "diversity",
    "q_desistance_pre": "desistance_pre",
    "q_desistance_post": "desistance_post",
}

V1 = FormVersion(
    name="v1",
    columns={
        "Inspection": "inspection_id",
        "PCC Area": "pcc_area",
        "Fieldwork Start": "fieldwork_start",
        "Case Ref": "case_ref",
        "Provider": "provider",
        "Provider Name": "provider_name",
        "Sentence Type": "sentence_type",
        "Sentence Date": "sentence_date",
        "Gender": "gender",
        "Age": "age",
        "Ethnicity": "ethnicity",
        "OGRS3": "ogrs3_score",
        "RoSH": "rosh_level",
        "MAPPA Eligible": "mappa_eligible",
        "MAPPA Category": "mappa_category",
        "Q Diversity": "diversity",
        "Q Desistance Pre": "desistance_pre",
        "Q Desistance Post": "desistance_post",
        "Q Harm Public": "harm_public",
        "Q Harm Known Adults": "harm_known_adults",
        "Q Harm Children": "harm_children",
    },
    date_format="%d/%m/%Y",
    answers={"1": "Yes", "0": "No"},
    # The older export has a byte-order mark and Windows line ends.
    bom=True,
    line_end="\r\n",
)

V2 = FormVersion(
    name="v2",
    columns={
        **_V2_COMMON,
        "q_harm_public": "harm_public",
        "q_harm_known_adults": "harm_known_adults",
        "q_harm_children": "harm_children",
    },
    date_format="%Y-%m-%d",
    answers={"Yes": "Yes", "No": "No"},
    not_applicable=frozenset({"N/A"}),
)

# v3 is v2 with each harm question asked before and after: only its columns differ.
V3 = replace(
    V2,
    name="v3",
    columns={
        **_V2_COMMON,
        # The pre stage is comparable with v1/v2 judgements, so it is the canonical one.
        "q_harm_public_pre": "harm_public",
        "q_harm_public_post": "harm_public_post",
        "q_harm_known_adults_pre": "harm_known_adults",
        "q_harm_known_adults_post": "harm_known_adults_post",
        "q_harm_children_pre": "harm_children",
        "q_harm_children_post": "harm_children_post",
    },
)

FORM_VERSIONS: tuple[FormVersion, ...] = (V1, V2, V3)
"""The registry. Read it at call time (`registered_versions`), never copy it at import."""


def registered_versions() -> tuple[FormVersion, ...]:
    """The registered versions, oldest first."""
    return FORM_VERSIONS


def form_version(name: str) -> FormVersion:
    """The registered version called `name` (KeyError if none is)."""
    for version in FORM_VERSIONS:
        if version.name == name:
            return version
    raise KeyError(name)


def detect_form_version(header: tuple[str, ...]) -> FormVersion | None:
    """The version whose header row is exactly `header` (after trimming blanks), else None."""
    cleaned = tuple(name.strip() for name in header)
    for version in FORM_VERSIONS:
        if cleaned == version.header:
            return version
    return None


@dataclass(frozen=True)
class HeaderDiagnosis:
    """How a header row differs from the form version it is nearest to.

    `missing` are the version's columns absent from the header, `unexpected` the header's columns
    the version does not have (both in file order), `duplicated` the names given more than once.
    `out_of_order` is set when the names are the version's but in another order.
    """

    nearest: FormVersion
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    duplicated: tuple[str, ...]
    out_of_order: bool

    def describe(self) -> str:
        """One sentence naming the nearest version and every column that is wrong."""
        parts = []
        if self.unexpected:
            parts.append(f"unexpected column(s) {_names(self.unexpected)}")
        if self.missing:
            parts.append(f"missing column(s) {_names(self.missing)}")
        if self.duplicated:
            parts.append(f"repeated column(s) {_names(self.duplicated)}")
        if self.out_of_order and not parts:
            parts.append("the columns are the version's but in another order")
        hints = [
            f"{found!r} looks like {wanted!r}"
            for found in self.unexpected
            for wanted in self.missing
            if _loose(found) == _loose(wanted)
        ]
        if hints:
            parts.append(f"(spelling: {', '.join(hints)})")
        known = len(self.nearest.header) - len(self.missing)
        return (
            f"header matches no known form version; nearest is {self.nearest.name} "
            f"({known} of its {len(self.nearest.header)} columns present): {'; '.join(parts)}. "
            "Unknown columns are not ignored: export the file in a known form version"
        )


def _names(columns: tuple[str, ...]) -> str:
    return ", ".join(repr(column) for column in columns)


def _loose(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def diagnose_header(header: tuple[str, ...]) -> HeaderDiagnosis:
    """The nearest form version to `header` and the columns that differ from it.

    Nearest = most columns in common, then fewest unexpected ones, then the newest version.
    """
    cleaned = tuple(name.strip() for name in header)
    present = set(cleaned)

    def score(version: FormVersion) -> tuple[int, int, int]:
        common = len(present & set(version.header))
        return common, -len(present - set(version.header)), FORM_VERSIONS.index(version)

    nearest = max(FORM_VERSIONS, key=score)
    expected = set(nearest.header)
    seen: set[str] = set()
    duplicated = []
    for name in cleaned:
        if name in seen and name not in duplicated:
            duplicated.append(name)
        seen.add(name)
    return HeaderDiagnosis(
        nearest=nearest,
        missing=tuple(name for name in nearest.header if name not in present),
        unexpected=tuple(dict.fromkeys(name for name in cleaned if name not in expected)),
        duplicated=tuple(duplicated),
        out_of_order=cleaned != nearest.header and sorted(cleaned) == sorted(nearest.header),
    )
