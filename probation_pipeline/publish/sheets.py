"""The workbook as data: cover, notes and one table per sheet, rendered to xlsx and to ODS.

`workbook_model` turns a bundle and its published frames into a `WorkbookModel` using the
publication spec only; `workbook.py` (gptables, xlsx) and `ods.py` (odfpy, ODS) draw the same model,
so the two spreadsheets have the same sheets, words and numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from probation_pipeline.publish.bundle import PublicationBundle, layout_for_display
from probation_pipeline.publish.data_files import is_shorthand
from probation_pipeline.publish.readable import labelled_frame, reader_frame

# Notes, in the order they are numbered ([note 1] is the first).
NOTE_ORDER: tuple[str, ...] = ("shorthand", "rounding", "merged_levels", "ratings", "models")
TABLE_NOTES: tuple[str, ...] = ("shorthand", "rounding", "merged_levels")


@dataclass(frozen=True)
class SheetTable:
    """One sheet holding one table, as gptables describes a table: data plus metadata."""

    name: str
    title: str
    subtitle: str
    note_refs: tuple[str, ...]
    table: pd.DataFrame
    formats: dict[str, str]
    label_columns: int


@dataclass(frozen=True)
class WorkbookModel:
    title: str
    intro: tuple[str, ...]
    about: tuple[tuple[str, tuple[str, ...]], ...]
    contact: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]
    """(reference, text) in note-number order."""
    tables: tuple[SheetTable, ...]
    scope: str
    source: str

    def note_number(self, reference: str) -> int:
        return [ref for ref, _ in self.notes].index(reference) + 1

    def markers(self, refs: tuple[str, ...]) -> str:
        """` [note 1] [note 2]`: spaced markers, as the Analysis Function guidance shows them."""
        numbers = sorted({self.note_number(ref) for ref in refs})
        return "".join(f" [note {number}]" for number in numbers)


def month(day: object) -> str:
    return pd.Timestamp(day).strftime("%B %Y")  # type: ignore[arg-type]


def release_metadata(bundle: PublicationBundle, publication_id: str) -> tuple[tuple[str, str], ...]:
    """Release metadata as (label, value) pairs (cover intro and report header)."""
    release = bundle.spec.release
    day = pd.Timestamp(release.release_date)
    return (
        ("Released", f"{day.day} {day.strftime('%B %Y')}"),
        ("Statistical status", release.status),
        ("Produced by", release.producer),
        ("Latest fieldwork", month(bundle.latest_fieldwork)),
        ("Publication", publication_id),
    )


def workbook_model(
    bundle: PublicationBundle, published: dict[str, pd.DataFrame], publication_id: str
) -> WorkbookModel:
    """The sheets of tables.xlsx and tables.ods (Tables 1-N, ratings, models), notes and cover."""
    spec = bundle.spec
    tables: list[SheetTable] = []
    for question in bundle.questions.itertuples(index=False):
        layout = numbers_as_numbers(
            layout_for_display(bundle.bulletin_layouts[str(question.question_id)])
        )
        formats = {
            str(column): ("0.0" if "%" in str(column) else "#,##0") for column in layout.columns[2:]
        }
        tables.append(
            SheetTable(
                name=f"Table_{question.table}",
                title=f"Table {question.table}: {question.wording}",
                subtitle="Cases answered (n) and percentage judged sufficient (% yes), by "
                "provider and subgroup",
                note_refs=TABLE_NOTES,
                table=layout,
                formats=formats,
                label_columns=2,
            )
        )
    for stem, sheet in spec.sheets.items():
        reader = reader_frame(stem, labelled_frame(stem, published[stem], spec), spec)
        tables.append(
            SheetTable(
                name=sheet.name,
                title=sheet.title,
                subtitle="Missing values are shown as shorthand",
                note_refs=(sheet.note, "shorthand", "rounding"),
                table=reader.frame,
                formats=reader.formats,
                label_columns=0,
            )
        )
    used = [ref for table in tables for ref in table.note_refs]
    order = [ref for ref in NOTE_ORDER if ref in used] + [
        ref for ref in dict.fromkeys(used) if ref not in NOTE_ORDER
    ]
    release = spec.release
    intro = [
        release.subtitle,
        *(f"{label}: {value}" for label, value in release_metadata(bundle, publication_id)),
    ]
    if bundle.synthetic:
        intro.insert(0, f"Synthetic data: {spec.synthetic_notice}")
    contact = [release.contact] + ([release.contact_email] if release.contact_email else [])
    return WorkbookModel(
        title=release.title,
        intro=tuple(intro),
        about=(
            ("Source", (release.source,)),
            ("Method", spec.method),
            (
                "Notes, shorthand and units",
                (
                    "Notes are on the Notes sheet and referred to as [note 1] and so on.",
                    spec.notes["shorthand"],
                ),
            ),
        ),
        contact=tuple(contact),
        notes=tuple((ref, spec.notes[ref]) for ref in order),
        tables=tuple(tables),
        scope="Probation cases inspected, latest inspection of each police force area, "
        f"fieldwork up to {month(bundle.latest_fieldwork)}",
        source=release.source,
    )


def numbers_as_numbers(layout: pd.DataFrame) -> pd.DataFrame:
    """Display strings that are numbers become int/float; shorthand and labels stay text."""

    def convert(value: object) -> object:
        if not isinstance(value, str) or is_shorthand(value):
            return value
        text = value.replace(",", "").strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            return value

    converted = layout.reset_index(drop=True).copy()
    for column in converted.columns[1:]:
        converted[column] = converted[column].map(convert).astype(object)
    converted.columns = [str(column) for column in converted.columns]
    return converted
