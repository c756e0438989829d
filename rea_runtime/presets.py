"""Named service configurations that expand into restate-sdk's own options, validated at import.

restate-sdk accepts `inactivity_timeout`, `journal_retention`, `invocation_retry_policy`, ...
but checks none of them: a negative duration, a journal retention the server silently cuts to
the idempotency retention, or a payment killed after its last retry is only discovered in production.
A :class:`Preset` is a frozen pydantic model; every mistake raises :class:`ConfigurationError`
at import time, naming the field and the fix. Override any field with one keyword:
``PRODUCTION.with_(journal_retention=timedelta(days=3))``.
"""

from __future__ import annotations

import difflib
import math
from datetime import timedelta
from typing import Annotated, Any, Literal, Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, Strict, StrictBool, ValidationError, model_validator

from rea_lint.config import ConfigError

__all__ = [
    "ConfigurationError",
    "RetryPolicy",
    "Preset",
    "DEFAULT",
    "HIGH_VOLUME",
    "PRODUCTION",
    "PRESETS",
    "preset",
    "check_options",
    "SDK_OPTIONS",
]

Kind = Literal["service", "object", "workflow"]

SDK_OPTIONS = (
    "inactivity_timeout",
    "abort_timeout",
    "journal_retention",
    "idempotency_retention",
    "ingress_private",
    "state_preload",
    "invocation_retry_policy",
)
"""The SDK keyword arguments a preset fills in (service, object, workflow and handler level)."""

_DURATIONS = ("inactivity_timeout", "abort_timeout", "journal_retention", "idempotency_retention")

Duration = Annotated[timedelta, Strict()]
"""A `datetime.timedelta` and nothing else: restate-sdk calls `.total_seconds()` on every duration
at discovery, so an int (pydantic would read it as seconds) that reached the SDK unchanged
crashed the registration; it is refused here with the `timedelta(seconds=...)` to write."""


class ConfigurationError(ConfigError):
    """A service's options are unknown or contradict each other; the message names field and fix."""


def _fmt(td: timedelta) -> str:
    return str(td) if td >= timedelta(0) else f"-{-td}"


_MS = timedelta(milliseconds=1)
MAX_RETENTION = timedelta(days=7_304_484)
"""The longest retention restate-server 1.7 can show: its admin API renders each retention as a
`jiff` span of days and panics above 631,107,417,600 s (7,304,484 days, about 19,998 years),
which leaves the deployment's registration unanswered (seen on restate-server 1.7.12)."""
_DROPPED = {
    "idempotency_retention": "a retried request with the same idempotency key would run again once the first completed",
    "workflow_retention": "a completed workflow's state and result would be dropped at once, so its shared "
                          "handlers and attach find nothing",
}


def check_retention(journal: Optional[timedelta], idempotency: Optional[timedelta],
                    workflow: Optional[timedelta]) -> None:
    """The retentions as restate-server applies them (`None`: the server's default, not checked).

    The SDK sends whole milliseconds, so a retention below 1 ms arrives as 0. The server keeps
    an invocation's journal no longer than its completion record: for a request with an
    idempotency key it clamps `journal_retention` to `idempotency_retention`, for a workflow's
    `run` to `workflow_retention` (restate's `InvocationTargetMetadata::compute_retention`), so
    a longer journal retention is silently not applied there. Above `MAX_RETENTION` the server
    fails; operators may also configure lower `max-*-retention` limits, which clamp with a warning.
    """
    for field, value in (("journal_retention", journal), ("idempotency_retention", idempotency),
                         ("workflow_retention", workflow)):
        if value is not None and value > MAX_RETENTION:
            raise ValueError(
                f"{field} is {_fmt(value)}, longer than restate-server can handle ({MAX_RETENTION.days:,} "
                f"days: its admin API fails on larger retentions and the registration is lost); "
                f"fix: at most timedelta(days={MAX_RETENTION.days}) (or None for the server default)"
            )
    if journal is not None and timedelta(0) < journal < _MS:
        raise ValueError(
            f"journal_retention is {_fmt(journal)}: restate-sdk sends whole milliseconds, so the server "
            "would get 0 (no journal kept); fix: 0 to keep no journal, or at least 1 ms"
        )
    for field, value in (("idempotency_retention", idempotency), ("workflow_retention", workflow)):
        if value is not None and value < _MS:
            raise ValueError(
                f"{field} is {_fmt(value)}: {_DROPPED[field]} (restate-sdk sends whole milliseconds); "
                "fix: a positive duration of at least 1 ms (or None for the server default)"
            )
    for field, value, whose in (("idempotency_retention", idempotency, "a request with an idempotency key"),
                                ("workflow_retention", workflow, "a workflow's run")):
        if journal is not None and value is not None and journal > value:
            raise ValueError(
                f"journal_retention ({_fmt(journal)}) is longer than {field} ({_fmt(value)}): restate-server "
                f"keeps the journal of {whose} no longer than its completion, so it would drop it after "
                f"{_fmt(value)}, not {_fmt(journal)}; fix: {field} >= {_fmt(journal)}, or "
                f"journal_retention <= {_fmt(value)}"
            )


class _Explained(BaseModel):
    """A model built directly (`Preset(...)`, `RetryPolicy(...)`) fails as everything else here
    does: one line, :class:`ConfigurationError`, naming the field and the fix."""

    def __init__(self, **fields: Any) -> None:
        try:
            super().__init__(**fields)
        except ValidationError as err:
            raise ConfigurationError(_explain(type(self).__name__, err, type(self))) from None

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]  # validation does not call it (as RootModel)


class RetryPolicy(_Explained):
    """`restate.InvocationRetryPolicy`, validated. ``None`` fields keep the server's default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    initial_interval: Optional[Duration] = None
    exponentiation_factor: Optional[float] = None
    max_interval: Optional[Duration] = None
    max_attempts: Optional[int] = None
    on_max_attempts: Optional[Literal["pause", "kill"]] = None

    @model_validator(mode="after")
    def _consistent(self) -> "RetryPolicy":
        for field in ("initial_interval", "max_interval"):
            value = getattr(self, field)
            if value is not None and value <= timedelta(0):
                raise ValueError(f"retry.{field} is {_fmt(value)}; fix: use a positive duration")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(
                f"retry.max_attempts is {self.max_attempts}; the first call counts as an attempt, so "
                "nothing would ever run; fix: max_attempts >= 1 (or None for the server default)"
            )
        if self.exponentiation_factor is not None and not math.isfinite(self.exponentiation_factor):
            raise ValueError(
                f"retry.exponentiation_factor is {self.exponentiation_factor}; restate-sdk sends it to the "
                "server as JSON, which has no NaN or infinity, so the service could never be registered; "
                "fix: a finite factor >= 1 (2.0 doubles each delay)"
            )
        if self.exponentiation_factor is not None and self.exponentiation_factor < 1:
            raise ValueError(
                f"retry.exponentiation_factor is {self.exponentiation_factor}; delays would shrink; "
                "fix: a factor >= 1 (2.0 doubles each delay)"
            )
        if (self.initial_interval is not None and self.max_interval is not None
                and self.max_interval < self.initial_interval):
            raise ValueError(
                f"retry.max_interval ({_fmt(self.max_interval)}) is shorter than retry.initial_interval "
                f"({_fmt(self.initial_interval)}); fix: raise max_interval or lower initial_interval"
            )
        return self

    def to_sdk(self) -> Any:
        from restate import InvocationRetryPolicy

        return InvocationRetryPolicy(**self.model_dump())


class Preset(_Explained):
    """One named configuration. ``None`` leaves an option to restate-server's defaults.

    ``payment``: the handlers move money or other irreversible effects; killing such an
    invocation after its retries leaves the effect half-done with nobody told, so
    ``on_max_attempts="kill"`` is refused. ``state_budget_bytes``: `State.set` above it is
    reported under the policy (large state is loaded on every invocation of the key).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom"
    inactivity_timeout: Optional[Duration] = None
    abort_timeout: Optional[Duration] = None
    journal_retention: Optional[Duration] = None
    idempotency_retention: Optional[Duration] = None
    ingress_private: Optional[StrictBool] = None
    state_preload: Optional[Union[StrictBool, tuple[str, ...]]] = None
    """True: all state is sent with each invocation; False: none (read lazily); a list of keys:
    those only (restate-sdk's `state_preload`)."""
    retry: Optional[RetryPolicy] = None
    payment: bool = False
    state_budget_bytes: Optional[int] = None
    state_total_budget_bytes: Optional[int] = None
    """All state of one object key / workflow id together (`ctx.set` and `State.set` alike)."""
    workflow_retention: Optional[Duration] = None
    """How long a completed workflow's state and result are kept (given to each Workflow's `run`)."""

    @model_validator(mode="after")
    def _consistent(self) -> "Preset":
        for field in _DURATIONS:
            value = getattr(self, field)
            if value is not None and value < timedelta(0):
                raise ValueError(f"{field} is {_fmt(value)}; fix: a duration >= 0 (or None for the server default)")
        if self.state_budget_bytes is not None and self.state_budget_bytes <= 0:
            raise ValueError(
                f"state_budget_bytes is {self.state_budget_bytes}; fix: a positive byte count (or None: no budget)"
            )
        total, entry = self.state_total_budget_bytes, self.state_budget_bytes
        if total is not None and total <= 0:
            raise ValueError(f"state_total_budget_bytes is {total}; fix: a positive byte count (or None: no budget)")
        if total is not None and entry is not None and total < entry:
            raise ValueError(
                f"state_total_budget_bytes ({total}) is below state_budget_bytes ({entry}): one entry "
                f"could never reach its own budget; fix: state_total_budget_bytes >= {entry}"
            )
        check_retention(self.journal_retention, self.idempotency_retention, self.workflow_retention)
        if self.payment and self.retry is not None and self.retry.on_max_attempts == "kill":
            raise ValueError(
                "retry.on_max_attempts is 'kill' on a payment service: after the last attempt the "
                "invocation is dropped with the payment half-done and nobody told; "
                "fix: on_max_attempts='pause' (an operator resumes or cancels it with compensation)"
            )
        return self

    @classmethod
    def build(cls, where: str = "Preset", **fields: Any) -> "Preset":
        """Construct, turning pydantic's errors into one :class:`ConfigurationError` line."""
        unknown = [k for k in fields if k not in cls.model_fields]
        if unknown:
            raise ConfigurationError(_unknown(where, unknown[0], cls.model_fields))
        try:
            return cls.model_validate(fields)
        except ValidationError as err:
            raise ConfigurationError(_explain(where, err, cls)) from None

    def with_(self, **overrides: Any) -> "Preset":
        """This preset with fields replaced (``retry=`` accepts a dict of retry fields to merge)."""
        retry = overrides.get("retry")
        if isinstance(retry, Mapping) and self.retry is not None:
            overrides["retry"] = {**self.retry.model_dump(exclude_none=True), **retry}
        data = {**self.model_dump(exclude_none=True), **overrides}
        return Preset.build(f"preset {self.name!r}", **data)

    def options(self, kind: Kind = "service") -> dict[str, Any]:
        """Keyword arguments for `restate.Service/VirtualObject/Workflow(name, **options)`."""
        out: dict[str, Any] = {}
        for field in ("inactivity_timeout", "abort_timeout", "journal_retention", "idempotency_retention",
                      "ingress_private"):
            value = getattr(self, field)
            if value is not None:
                out[field] = value
        if self.state_preload is not None:
            if kind == "service":
                raise ConfigurationError(
                    f"preset {self.name!r}: state_preload applies to Virtual Objects and Workflows, "
                    "a Service has no state; fix: state_preload=None"
                )
            preload = self.state_preload
            out["state_preload"] = preload if isinstance(preload, bool) else list(preload)
        if self.retry is not None:
            out["invocation_retry_policy"] = self.retry.to_sdk()
        return out


def _unknown(where: str, key: str, known: Any) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
    return f"{where}: unknown option {key!r}; fix: {hint}"


_RETRY_FIELDS = "initial_interval, exponentiation_factor, max_interval, max_attempts, on_max_attempts"
_FIXES = {
    "ingress_private": "True or False",
    "payment": "True or False",
    "state_preload": "state_preload=True, False, or the keys to preload: state_preload=['cart']",
    "state_budget_bytes": "a positive whole number of bytes, e.g. 65536 (or None: no budget)",
    "state_total_budget_bytes": "a positive whole number of bytes, e.g. 1048576 (or None: no budget)",
    "retry": f"a dict of retry fields ({_RETRY_FIELDS}) or a rea_runtime.presets.RetryPolicy",
    "exponentiation_factor": "a finite number >= 1, e.g. 2.0",
    "max_attempts": "a whole number >= 1, e.g. 10",
    "on_max_attempts": "'pause' or 'kill'",
    "name": "a str",
}
"""The fix for a value of the wrong type, by field (durations are worked out from the value)."""


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{text[:60]}... ({type(value).__name__})" if len(text) > 60 else f"{text} ({type(value).__name__})"


def _fix(field: str, value: Any) -> str:
    if field in _FIXES:
        return _FIXES[field]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{field}=timedelta(seconds={value!r})"
    return f"a datetime.timedelta, e.g. {field}=timedelta(seconds=30)"


def _explain(where: str, err: ValidationError, model: Any) -> str:
    """pydantic's first error as one line naming the field, the value given and a fix that works."""
    first = err.errors()[0]
    path = [str(p) for p in first["loc"]]
    loc = ".".join(path)
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        known = RetryPolicy.model_fields if model is Preset and len(path) > 1 else model.model_fields
        return _unknown(f"{where}: {'.'.join(path[:-1])}" if len(path) > 1 else where, path[-1], known)
    if first["type"] == "value_error" or not path:  # rea's own checks name the field and the fix
        return f"{where}: {msg}" if not path or msg.startswith(path[0]) else f"{where}: {loc}: {msg}"
    value = first.get("input")
    if first["type"] == "time_delta_type":
        msg = "must be a datetime.timedelta (restate-sdk takes no other duration)"
    if path[0] == "state_preload":  # a union: pydantic names its first member only, and the item
        path, loc, msg = ["state_preload"], "state_preload", "is neither a bool nor a list of state keys"
    return f"{where}: {loc}: {msg}, got {_shown(value)}; fix: {_fix(path[-1], value)}"


DEFAULT = Preset(name="default", state_budget_bytes=1024 * 1024)
"""Everything left to restate-server (24h retention, its retry schedule): plain restate behaviour
plus a 1 MiB state budget, because an object's whole state is sent with every invocation."""

HIGH_VOLUME = Preset(
    name="high-volume",
    journal_retention=timedelta(hours=1),
    idempotency_retention=timedelta(hours=1),
    inactivity_timeout=timedelta(seconds=30),
    retry=RetryPolicy(initial_interval=timedelta(milliseconds=100), exponentiation_factor=2.0,
                      max_interval=timedelta(seconds=10), max_attempts=10, on_max_attempts="pause"),
    state_budget_bytes=64 * 1024,
)
"""Millions of short invocations a day: storage is the cost, so journals and idempotency records
live one hour; a stalled invocation is noticed after 30 s; a poison request stops after 10 fast
attempts and pauses (never silently killed); state is kept small (64 KiB budget)."""

PRODUCTION = Preset(
    name="production",
    journal_retention=timedelta(days=7),
    idempotency_retention=timedelta(days=7),
    inactivity_timeout=timedelta(minutes=1),
    abort_timeout=timedelta(minutes=10),
    retry=RetryPolicy(initial_interval=timedelta(seconds=1), exponentiation_factor=2.0,
                      max_interval=timedelta(minutes=5), max_attempts=30, on_max_attempts="pause"),
    state_budget_bytes=1024 * 1024,
)
"""Business services: a week of journals to investigate an incident and a week of idempotency
(restate-server keeps an idempotent request's journal no longer than its idempotency record, so
a shorter one would cut the week short for exactly the requests clients retry), retries that back off to 5 minutes so a
dependency outage is ridden out, then pause for an operator; 10 minutes to abort a stuck call."""

PRESETS: Mapping[str, Preset] = {p.name: p for p in (DEFAULT, HIGH_VOLUME, PRODUCTION)}


def preset(name: str | Preset, **overrides: Any) -> Preset:
    """A named preset (``"production"``, ``"high_volume"`` works too) with fields overridden."""
    if isinstance(name, Preset):
        base = name
    elif not isinstance(name, str):
        raise TypeError(
            f"preset must be a preset name or a rea_runtime.presets.Preset, got {_shown(name)}; "
            f"fix: one of {', '.join(repr(n) for n in PRESETS)}, or rea_runtime.preset('production', ...)"
        )
    else:
        key = name.replace("_", "-")
        if key not in PRESETS:
            raise ConfigurationError(
                f"unknown preset {name!r}; fix: one of {', '.join(PRESETS)} or a rea_runtime.presets.Preset"
            )
        base = PRESETS[key]
    return base.with_(**overrides) if overrides else base


def _retry_fields(where: str, policy: Any) -> dict[str, Any]:
    """The fields of an SDK retry policy; anything restate-sdk cannot read at discovery is refused."""
    from restate import InvocationRetryPolicy

    if isinstance(policy, RetryPolicy):
        return policy.model_dump()
    if isinstance(policy, InvocationRetryPolicy):
        return {f: getattr(policy, f) for f in RetryPolicy.model_fields}
    if isinstance(policy, Mapping):
        args = ", ".join(f"{k}={v!r}" for k, v in policy.items())
        fix = f"invocation_retry_policy=restate.InvocationRetryPolicy({args})"
    else:
        fix = "invocation_retry_policy=restate.InvocationRetryPolicy(max_attempts=10, on_max_attempts='pause')"
    raise ConfigurationError(
        f"{where}: invocation_retry_policy must be a restate.InvocationRetryPolicy, got {_shown(policy)} "
        f"(restate-sdk reads its attributes at discovery); fix: {fix}"
    )


def check_options(where: str, kind: Kind, sdk_options: Mapping[str, Any], base: Preset | None = None,
                  **rea_fields: Any) -> tuple[Preset, dict[str, Any]]:
    """Merge a preset with explicit SDK options and validate them together.

    Returns the effective preset and the SDK keyword arguments to pass on (explicit ones win).
    ``where`` names the service/handler in messages.
    """
    fields: dict[str, Any] = dict(base.model_dump(exclude_none=True)) if base is not None else {}
    fields.update({k: v for k, v in rea_fields.items() if v is not None})
    for key, value in sdk_options.items():
        if value is None:
            continue
        if key == "invocation_retry_policy":
            fields["retry"] = _retry_fields(where, value)
        elif key == "enable_lazy_state":
            if not isinstance(value, bool):
                raise ConfigurationError(f"{where}: enable_lazy_state must be True or False, got {_shown(value)}; "
                                         f"fix: state_preload={not value!r} (enable_lazy_state is deprecated)")
            fields["state_preload"] = not value
        elif key in Preset.model_fields:
            fields[key] = value
    if base is not None:
        fields.setdefault("name", base.name)
    try:
        effective = Preset.build(where, **fields)
    except ConfigurationError:
        raise
    if kind == "service" and effective.state_preload is not None:
        raise ConfigurationError(f"{where}: state_preload applies to Virtual Objects and Workflows; fix: drop it")
    out = effective.options(kind) if base is not None else {}
    out.update({k: v for k, v in sdk_options.items() if v is not None})
    return effective, out
