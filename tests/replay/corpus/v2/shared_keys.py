"""A constants module of the corpus (no services): p157 reads `SEEN` in v2 only."""

SEEN = "seen"
