"""The booking service: a saga over three providers; the payment provider declines on request."""

from __future__ import annotations

from typing import Optional

import restate
from pydantic import BaseModel

import rea_runtime
from rea_runtime.saga import Saga, SagaFailed, dead_letters

LOG: list[str] = []
"""What the (pretend) providers did; a real service would call their APIs inside the runs."""


def provider(what: str, *, decline: bool = False):
    def act() -> str:
        LOG.append(what)
        if decline:
            raise restate.TerminalError(f"{what}: card declined", status_code=402)
        return f"{what.split()[-1]}-ref"

    return act


class Trip(BaseModel):
    traveller: str
    decline_payment: bool = False


class Outcome(BaseModel):
    booked: bool
    error: Optional[str] = None
    compensated: list[str] = []


bookings = rea_runtime.VirtualObject("Booking", policy="strict")


@bookings.handler()
async def book(ctx: restate.ObjectContext, trip: Trip) -> Outcome:
    try:
        async with Saga(ctx, "trip") as saga:
            # Each step registers its undo first, then runs its action as a durable run.
            await saga.step("flight", action=provider("book flight"),
                            compensate=lambda ref: LOG.append(f"cancel flight {ref}"))
            await saga.step("hotel", action=provider("book hotel"),
                            compensate=lambda ref: LOG.append(f"cancel hotel {ref}"))
            await saga.step("payment", action=provider("charge card", decline=trip.decline_payment),
                            compensate=lambda ref: LOG.append(f"refund card {ref or '(charge never completed: nothing to refund)'}"))
    except SagaFailed as err:
        return Outcome(booked=False, error=err.message, compensated=err.outcome.compensated)
    return Outcome(booked=True)


@bookings.handler(kind="shared")
async def problems(ctx: restate.ObjectSharedContext) -> list[dict]:
    """Compensations that exhausted their retries (none in this demo)."""
    return [d.model_dump() for d in await dead_letters(ctx)]


app = restate.app([bookings])
