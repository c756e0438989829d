"""A booking saga (flight, hotel, payment) whose payment is declined: run ``python -m examples.booking``."""
