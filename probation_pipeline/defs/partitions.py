"""One dynamic partition per PCC area, keyed by area slug; the sensor and `make run` add them."""

import dagster as dg

area_partitions = dg.DynamicPartitionsDefinition(name="area")
