"""Probation inspection extracts to validated records, tables, models, ratings and a publication."""

import os

from probation_pipeline.frames import STRING_STORAGE_ENV, use_arrow_strings, use_system_allocator

# Text columns are Arrow-backed everywhere in the pipeline (see frames.py), unless the reference
# path is asked for (the byte-identity tests run it with Python-backed strings).
if os.environ.get(STRING_STORAGE_ENV, "pyarrow") == "pyarrow":
    use_arrow_strings()

# Arrow memory from malloc rather than pyarrow's default pool (frames.py, docs/decisions.md).
use_system_allocator()
