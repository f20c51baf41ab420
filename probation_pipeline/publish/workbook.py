"""The accessible spreadsheet `tables.xlsx`, written with gptables from the workbook model.

Layout follows the Analysis Function guidance as gptables implements it: a Cover, a Contents and a
Notes sheet, then one table per sheet. Numbers are stored as numbers and shorthand (`[c]`, `[z]`,
`[x]`) as text, explained in the notes. After gptables has written the cells, `xlsx_layout` sets
column widths, row heights for wrapped text and the print setup, which gptables leaves alone.

The workbook is byte-reproducible: xlsxwriter already fixes the zip entries' timestamps, and the only
other clock reading, the document's created date, is set to the publication's latest fieldwork date.
"""

from __future__ import annotations

import warnings
from datetime import datetime, time
from pathlib import Path

import gptables as gpt
import pandas as pd

from probation_pipeline.publish.bundle import PublicationBundle
from probation_pipeline.publish.escaping import WORKBOOK_OPTIONS
from probation_pipeline.publish.sheets import WorkbookModel, workbook_model
from probation_pipeline.publish.xlsx_layout import lay_out_workbook


def write_workbook(
    bundle: PublicationBundle,
    published: dict[str, pd.DataFrame],
    publication_id: str,
    path: Path,
    model: WorkbookModel | None = None,
) -> None:
    """Write `tables.xlsx` to `path`.

    `published` is `data_files.published_frames(bundle)` (numbers behind shorthand already blanked).
    Sheets: Cover, Contents, Notes, Table_1..Table_N (one per question in `bundle.questions`),
    Ratings, Model_Summaries, Model_Steps, Model_Coefficients.
    """
    model = model or workbook_model(bundle, published, publication_id)
    sheets: dict[str, gpt.GPTable] = {}
    for table in model.tables:
        # Markers are written by the model, spaced ("subgroup [note 1] [note 2]"): gptables'
        # own `$$ref$$` markers run together at the end of the text.
        sheets[table.name] = gpt.GPTable(
            table=table.table,
            table_name=table.name.lower(),
            title=table.title,
            subtitles=[f"{table.subtitle}{model.markers(table.note_refs)}"],
            scope=model.scope,
            source=model.source,
            index_columns={2: 0} if table.label_columns else {},
            additional_formatting=[
                {"column": {"columns": [heading], "format": {"num_format": number_format}}}
                for heading, number_format in table.formats.items()
            ],
        )
    about: list[object] = []
    for heading, paragraphs in model.about:
        about += [[{"bold": True}, heading], *paragraphs]
    cover = gpt.Cover(
        title=model.title, intro=list(model.intro), about=about, contact=list(model.contact)
    )
    notes = pd.DataFrame(
        {
            "Note reference": [ref for ref, _ in model.notes],
            "Note text": [t for _, t in model.notes],
        }
    )
    with warnings.catch_warnings():
        # gptables warns that no sheet uses its `$$ref$$` markers: the model's markers are used,
        # and the notes keep the model's order and numbers.
        warnings.simplefilter("ignore", UserWarning)
        workbook = gpt.produce_workbook(
            filename=str(path),
            sheets=sheets,
            cover=cover,
            notes_table=notes,
            # Every string is a string cell: never a live formula or hyperlink.
            workbook_options=WORKBOOK_OPTIONS,
        )
    lay_out_workbook(workbook)
    workbook.set_properties(
        {
            "title": model.title,
            "subject": publication_id,
            "author": bundle.spec.release.producer,
            # The one timestamp in an xlsx: pin it so the same publication gives the same bytes.
            "created": datetime.combine(bundle.latest_fieldwork, time()),
        }
    )
    workbook.close()
