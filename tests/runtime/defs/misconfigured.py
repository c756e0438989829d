"""A service asking for a 30-day journal that the server would cut to its 7-day idempotency retention: must not import."""

from datetime import timedelta

import rea_runtime

payments = rea_runtime.Service(
    "MisconfiguredPayments", preset="production", journal_retention=timedelta(days=30)
)
