"""One dynamic partition per PCC area, keyed by area slug; the sensor and `make run` add them."""

import warnings

import dagster as dg

# `backfill_policy` is marked beta on @asset/@multi_asset; it is what makes a full refresh one run.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

area_partitions = dg.DynamicPartitionsDefinition(name="area")

AREA_BACKFILL = dg.BackfillPolicy.single_run()
"""A run over several areas (a full refresh, a UI backfill) reads them all in one run, not one each."""

# Dagster's run tags for a run over a range of partitions (here: areas in partition order).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
