"""Rule logic: pure judgements over one call or one function; no hook plumbing here."""
