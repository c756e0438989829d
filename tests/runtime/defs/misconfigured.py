"""A service whose journal is dropped before its idempotency records: must not import."""

from datetime import timedelta

import rea_runtime

payments = rea_runtime.Service(
    "MisconfiguredPayments", preset="production", journal_retention=timedelta(hours=1)
)
