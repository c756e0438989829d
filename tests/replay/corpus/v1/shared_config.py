"""A configuration module of the corpus (no services): p155 reads `RATES`, which v2 changes."""

RATES = {"standard": 5, "express": 9}
