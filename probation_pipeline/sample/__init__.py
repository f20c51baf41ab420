"""Synthetic extracts: the calibrated bulletin sample and large benchmark samples (no Dagster here).

- `margins`: the published cells and headline counts as exact integer targets.
- `model`: the generative model (demographics, logistic answers with a case-quality factor).
- `repair`: minimum-change integer programs that make every published count exact.
- `swaps`: margin-preserving swaps restoring the model's associations after the repair.
- `cases`: model draws to extract rows and canonical case records.
- `writers`: the three form versions, written atomically.
- `calibrated`, `scale`: the two modes; `__main__`: the command line. See docs/sample-data.md.
"""
