"""The rea rule catalog: the one place where rule codes, names and messages live.

The linter, the mypy plugin, the runtime guards and the docs all read this module, so it
must stay dependency-free (stdlib only) and cheap to import.

A message is a template: ``{subject}`` is the offending expression as written (``time.time()``)
and ``{ctx}`` the name of the Restate context in scope (``ctx``). Every diagnostic reads
``REA101 time-in-handler: <message>`` so that the code leads, whatever tool prints it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is a few ms of a fresh interpreter's import)
    from typing import Iterator, Mapping

__all__ = [
    "Fix",
    "Rule",
    "Severity",
    "RULES",
    "by_code",
    "by_name",
    "iter_rules",
    "DOCS_BASE",
    "DIVERGES_ON_REPLAY",
]

DOCS_BASE = "docs/rules"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Fix(str, enum.Enum):
    """Whether the linter can rewrite a finding, and whether that rewrite is replay-safe.

    A fix that adds or removes a journal entry changes what an in-flight invocation replays,
    so it is ``UNSAFE`` and only applied with ``--unsafe-fixes`` (the ruff convention).
    """

    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    """What the rule catches, one sentence (used in rule lists and SARIF shortDescription)."""
    message: str
    """The diagnostic template: what is wrong under replay, then what to write instead."""
    fix_hint: str
    """What to write instead, on its own (runtime errors and SARIF help reuse it)."""
    why: str
    """Why the mistake breaks durable execution (docs and `rea rule`)."""
    severity: Severity = Severity.ERROR
    enabled_by_default: bool = True
    fix: Fix = Fix.NONE
    fix_note: str = ""
    """Why the autofix is (un)safe, shown next to an unsafe fix."""

    @property
    def doc_path(self) -> str:
        return f"{DOCS_BASE}/{self.code}.md"

    @property
    def mypy_code(self) -> str:
        """The mypy ErrorCode name, so `# type: ignore[rea-time-in-handler]` works."""
        return f"rea-{self.name}"

    @property
    def fields(self) -> frozenset[str]:
        import string  # here, not at import: it compiles a regex (a cost every front end paid)

        return frozenset(f for _, f, _, _ in string.Formatter().parse(self.message) if f)

    def render(self, subject: str = "", ctx: str = "ctx", via: str = "") -> str:
        """The full diagnostic text: ``REA101 time-in-handler: <message>``.

        ``via`` is a transitive call chain (``price_quote() -> _stamp() -> time.time()``);
        when given, it replaces the subject and is announced as such.
        """
        if via:
            subject = via.rsplit(" -> ", 1)[-1]  # the forbidden call the chain ends in
            prefix = f"via {via}: "
        else:
            prefix = ""
        body = self.message.format(subject=subject or "this call", ctx=ctx)
        return f"{self.code} {self.name}: {prefix}{body}"

    def short(self) -> str:
        return f"{self.code} {self.name}"


_REPLAY = (
    "Restate replays a handler from its journal after a crash or suspension; "
    "anything the handler computes outside the journal is computed again and may differ, "
    "so the replayed invocation diverges from its journal ([570 Journal mismatch]) or "
    "silently acts on a different value."
)

_RULES: tuple[Rule, ...] = (
    Rule(
        code="REA101",
        name="time-in-handler",
        summary=(
            "A wall-clock, monotonic or CPU clock read in handler code (`time.time/monotonic/perf_counter/"
            "process_time/thread_time` and their `_ns`, `datetime.now/utcnow/today`, `date.today`), or the "
            "event loop's clock: `.time()` on a loop from `asyncio.get_running_loop()` / `get_event_loop()` "
            "bound in the same function, or on those calls directly."
        ),
        message=(
            "`{subject}` reads the clock, which returns a different value on every replay; "
            "use `await {ctx}.time()` (journaled), or read it inside `{ctx}.run(...)`"
        ),
        fix_hint="`await ctx.time()` (or move the read into a run action)",
        why=_REPLAY,
        fix=Fix.UNSAFE,
        fix_note="`await ctx.time()` adds a journal entry: in-flight invocations replay a journal without it",
    ),
    Rule(
        code="REA102",
        name="random-in-handler",
        summary="Unseeded randomness (random, secrets, os.urandom, numpy.random) in handler code.",
        message=(
            "`{subject}` draws fresh randomness on every replay; "
            "use `{ctx}.random()`, which is seeded from the invocation id and replays identically"
        ),
        fix_hint="`ctx.random().<fn>()`",
        why=_REPLAY,
        fix=Fix.SAFE,
        fix_note="`ctx.random()` is seeded deterministically and adds no journal entry",
    ),
    Rule(
        code="REA103",
        name="uuid-in-handler",
        summary="`uuid.uuid1()` / `uuid.uuid4()` in handler code.",
        message=(
            "`{subject}` makes a new id on every replay (anything you send or store with it "
            "diverges from the journal); use `{ctx}.uuid()`, which is stable across replays"
        ),
        fix_hint="`ctx.uuid()`",
        why=_REPLAY,
        fix=Fix.SAFE,
        fix_note="`ctx.uuid()` is derived from the invocation id and adds no journal entry",
    ),
    Rule(
        code="REA104",
        name="unordered-iteration",
        summary=(
            "Iterating a set in handler code while issuing Restate operations in the loop; or a value built "
            "from a set's order (`list(s)`, `tuple(s)`, `[*s]`, `\"sep\".join(s)`, a list/tuple/generator "
            "comprehension over it), directly or through one local, that reaches a journaled field: a "
            "call/send argument, a `ctx.set` value, a promise/awakeable resolution, a run name, an idempotency "
            "key. `sorted(...)` (or an in-place `.sort()` of that local) makes it right; sets of int literals "
            "are not reported."
        ),
        message=(
            "`{subject}` follows a set's iteration order, which is salted per process, so a "
            "replay journals its Restate operations or values in a different order; iterate / "
            "build from `sorted(...)` instead"
        ),
        fix_hint="iterate / build from `sorted(...)`",
        why=(
            "String hashing is randomised per process (PYTHONHASHSEED), so a set of strings "
            "iterates in a different order after a restart; the journaled calls made in the "
            "loop then replay in a different order than they were recorded."
        ),
        fix=Fix.SAFE,
        fix_note="`sorted(...)` only fixes the order; it adds no journal entry",
    ),
    Rule(
        code="REA105",
        name="native-sleep",
        summary="`time.sleep` / `asyncio.sleep` in handler code.",
        message=(
            "`{subject}` sleeps outside the journal: the invocation cannot suspend, holds its "
            "resources and sleeps again on every replay; use "
            "`await {ctx}.sleep(timedelta(...))`"
        ),
        fix_hint="`await ctx.sleep(timedelta(...))`",
        why=(
            "A durable sleep is a journal entry: Restate suspends the invocation and resumes it "
            "when the timer fires, even across restarts. A native sleep blocks the worker "
            "(time.sleep blocks the whole event loop) and is repeated on every replay."
        ),
    ),
    Rule(
        code="REA106",
        name="asyncio-combinator",
        summary="asyncio task/combinator primitives in handler code.",
        message=(
            "`{subject}` schedules work outside Restate's journal, so completion order is not "
            "recorded and replays diverge; use `restate.gather`, `restate.select`, "
            "`restate.wait_completed` or `restate.as_completed`"
        ),
        fix_hint="`restate.gather / select / wait_completed / as_completed`",
        why=(
            "Restate futures must be combined with the SDK's own combinators, which journal "
            "which future completed first. asyncio's tasks and combinators race outside the "
            "journal, so a replay may observe a different order."
        ),
    ),
    Rule(
        code="REA107",
        name="global-state",
        summary="Handler code writes module-level state.",
        message=(
            "`{subject}` writes module-level state, which is per process and lost or duplicated "
            "across replays and deployments; keep durable state with `{ctx}.set(...)` / "
            "`await {ctx}.get(...)`"
        ),
        fix_hint="`ctx.set(...)` / `await ctx.get(...)`",
        why=(
            "A module global lives in one process: another replica, a restart or a replay does "
            "not see it, and a replay applies the same mutation twice."
        ),
    ),
    Rule(
        code="REA108",
        name="io-in-handler",
        summary=(
            "Network, file or process I/O in handler code outside a run action: `open`, HTTP clients, "
            "sockets, subprocesses, a `pathlib.Path`'s reads and writes (a Path stays one through `/`, "
            "`joinpath`, `with_name/suffix/stem`, `parent`, `resolve`, `absolute`, `expanduser`, locals and "
            "project functions that return Paths), and by default the clients services use: sqlite3, "
            "psycopg/psycopg2, asyncpg, SQLAlchemy engines and sessions, redis, pymongo/motor, boto3, "
            "smtplib, ftplib, openai/anthropic/google.genai/litellm. A client's constructor in handler code "
            "and its methods however deep (`client.chat.completions.create`) are I/O when it was made in "
            "handler code or at module level, as are the connections, cursors, sessions and sub-clients it "
            "hands out. Pure helpers (`httpx.Timeout`, `sqlalchemy.text`, `openai.NOT_GIVEN`) are not."
        ),
        message=(
            "`{subject}` performs I/O outside the journal: it runs again on every replay and "
            "its result is not recorded; wrap it in `{ctx}.run_typed(\"name\", fn, ...)`"
        ),
        fix_hint='wrap it in `ctx.run_typed("name", fn, ...)`',
        why=(
            "Side effects outside a run action are repeated on every replay (a payment charged "
            "twice) and their results are not journaled, so the replay may take another branch."
        ),
    ),
    Rule(
        code="REA109",
        name="env-in-handler",
        summary="Environment reads in handler code.",
        message=(
            "`{subject}` reads the environment, which can differ between the replays of one "
            "invocation on different deployments; read it at import time, or inside a run action"
        ),
        fix_hint="read it at import time, or inside a run action",
        why=(
            "An invocation may be replayed by another deployment or replica whose environment "
            "differs; a branch taken on an environment value then diverges from the journal."
        ),
        severity=Severity.WARNING,
    ),
    Rule(
        code="REA110",
        name="thread-in-handler",
        summary="Threads, executors or processes started from handler code.",
        message=(
            "`{subject}` starts concurrent work outside the journal, which a replay repeats "
            "and which cannot use the Restate context; use a run action (sync actions already "
            "run off the event loop) or a separate handler"
        ),
        fix_hint="a run action (sync actions already run off the event loop) or a separate handler",
        why=(
            "Work started on another thread or process is invisible to the journal: it is "
            "started again on every replay and its outcome is not recorded."
        ),
    ),
    Rule(
        code="REA111",
        name="replay-unsafe-logging",
        summary="print() or a stdlib logger in handler code (lines repeat on every replay).",
        message=(
            "`{subject}` logs on every replay, so one invocation prints the same line many times; "
            "use `restate.getLogger(...)` (or rea_runtime's logger), which is silent during replay"
        ),
        fix_hint="`restate.getLogger(...)` or rea_runtime's logger",
        why=(
            "Replays re-execute handler code up to the point of progress; a plain logger prints "
            "the replayed lines again. The SDK's logger drops them while replaying."
        ),
        enabled_by_default=False,
    ),
    Rule(
        code="REA112",
        name="clock-units",
        summary="The seconds from `await ctx.time()` used as milliseconds or nanoseconds.",
        message=(
            "`await {ctx}.time()` returns seconds since the epoch (a float), but it meets "
            "`{subject}`, whose name says milliseconds or nanoseconds: the value is off by a "
            "factor of 1000 or more, and the journal replays the wrong value faithfully; use "
            "seconds (`now = await {ctx}.time()`), or convert explicitly "
            "(`int(await {ctx}.time() * 1000)`)"
        ),
        fix_hint="use seconds (`now = await ctx.time()`), or convert explicitly (`int(await ctx.time() * 1000)`)",
        why=(
            "`ctx.time()` journals `time.time()`: seconds as a float. Code written against "
            "millisecond timestamps (`Date.now()`, Java's `currentTimeMillis`) or nanoseconds "
            "silently computes deadlines and windows 1000 times too short or too long (a "
            "\"60 s\" window stored as `window_ms` lasts 16.7 hours), and because the value is "
            "journaled every replay repeats the same mistake."
        ),
        severity=Severity.WARNING,
    ),
    Rule(
        code="REA201",
        name="context-in-run",
        summary="A Restate context used inside a run action.",
        message=(
            "the Restate context `{subject}` is used inside a run action, which runs outside "
            "the journal: context calls there corrupt it ([570 Journal mismatch]); read the "
            "value before the run and pass the value in"
        ),
        fix_hint="read the value before the run, pass the value in",
        why=(
            "A run action executes once and its result is journaled; context operations inside "
            "it are recorded while the run is open (or skipped on replay), so the journal "
            "diverges from the code and the invocation backs off forever."
        ),
    ),
    Rule(
        code="REA202",
        name="state-write-in-shared-handler",
        summary="State written from a shared handler.",
        message=(
            "`{subject}` writes state from a shared handler; the server rejects it "
            "([500] this handler type cannot write state) and retries the invocation forever; "
            "move the write into an exclusive handler or the workflow's main handler"
        ),
        fix_hint="move the write into an exclusive handler / the workflow's main handler",
        why=(
            "Shared handlers run concurrently with each other and with the exclusive handler of "
            "the same key, so Restate gives them read-only state; a write is refused at run "
            "time, on every retry."
        ),
    ),
    Rule(
        code="REA203",
        name="context-kind-mismatch",
        summary="A handler's context annotation does not match its decorator's kind.",
        message=(
            "`{subject}` does not match the handler's kind; annotate it with the matching "
            "context type"
        ),
        fix_hint="the matching context type",
        why=(
            "The context type tells readers and type checkers what the handler may do (write "
            "state, resolve promises); a wrong one hides a handler that will be refused at run "
            "time, or offers operations the server rejects."
        ),
        fix=Fix.SAFE,
        fix_note="only the annotation changes; the journal is untouched",
    ),
    Rule(
        code="REA204",
        name="unawaited-durable-op",
        summary=(
            "A durable operation's result is discarded without being awaited, or bound to a local (also "
            "`wake_id, wake = ctx.awakeable()`) that is never awaited, returned, yielded, passed to a call, "
            "stored, or combined with `restate.select/gather`; `len()`, `str()` and `ctx.set(...)` do not "
            "count as using it, nor does testing it for truth (`if fut:`: a future is always truthy). A "
            "promise handle whose method is called is used."
        ),
        message=(
            "`{subject}` creates a durable operation whose result is never awaited; the handler "
            "does not wait for it and its failure is lost; `await` it, or keep the future and "
            "await it later"
        ),
        fix_hint="`await` it, or keep the future and await it later",
        why=(
            "Restate journals the operation, but the handler moves on without its result; its "
            "errors are never seen and code after it races the operation."
        ),
        fix=Fix.UNSAFE,
        fix_note="awaiting adds a completion the journal did not have: in-flight invocations may replay differently",
    ),
    Rule(
        code="REA205",
        name="ingress-in-handler",
        summary="The ingress client used from handler code.",
        message=(
            "`{subject}` calls Restate through the ingress client, bypassing the journal: the "
            "call is repeated on every replay; use `{ctx}.service_call / object_call / "
            "workflow_call`"
        ),
        fix_hint="`ctx.service_call / object_call / workflow_call`",
        why=(
            "Calls made through the context are journaled and exactly-once; an ingress call "
            "from a handler is an external HTTP request that replays repeat."
        ),
    ),
    Rule(
        code="REA206",
        name="sleep-in-exclusive-handler",
        summary="A durable sleep in an exclusive Virtual Object handler.",
        message=(
            "`{subject}` sleeps while holding the object's exclusive lock, blocking every other "
            "call to this key for the whole sleep; use a delayed send (`send_delay=`) or a "
            "workflow"
        ),
        fix_hint="a delayed send (`send_delay=`) or a workflow",
        why=(
            "An exclusive handler holds its key's lock until it returns; sleeping inside it "
            "queues every other invocation for that key behind the timer."
        ),
        severity=Severity.WARNING,
    ),
    Rule(
        code="REA207",
        name="wait-in-exclusive-handler",
        summary="An exclusive Virtual Object handler waits on an awakeable or a durable promise.",
        message=(
            "awaiting `{subject}` in an exclusive handler keeps the object's key locked until "
            "someone answers, so every other call to that key queues behind it; wait in a "
            "Workflow (its shared handlers resolve the promise), or record the awakeable id, "
            "return, and continue from the handler that receives the answer"
        ),
        fix_hint=(
            "wait in a Workflow (its shared handlers resolve the promise), or record the awakeable "
            "id, return, and continue from the handler that receives the answer"
        ),
        why=(
            "An exclusive handler holds its key's lock until it returns. An awakeable or a "
            "promise completes only when a person or another service answers, which may take "
            "days; meanwhile every invocation for that key (even the one that would cancel the "
            "wait) is queued behind it."
        ),
        severity=Severity.WARNING,
    ),
    Rule(
        code="REA208",
        name="action-called-not-passed",
        summary="A run's action is the result of a call instead of a callable.",
        message=(
            "`{subject}` is called in handler code and its result, not a function, is handed to "
            "the run: the work happens outside the journal (again on every replay) and the run "
            "then fails on a non-callable; pass the function and its arguments "
            "(`{ctx}.run_typed(\"name\", fn, arg=...)`) or a lambda"
        ),
        fix_hint='pass the function and its arguments (`ctx.run_typed("name", fn, arg=...)`) or a lambda',
        why=(
            "`ctx.run` journals what its action returns, so the action must be a callable the "
            "SDK calls once. `ctx.run(\"x\", work(arg))` evaluates `work(arg)` first, in handler "
            "code: its side effects are not journaled and repeat on every replay, and for an "
            "`async def` the run receives a coroutine object, which it cannot call."
        ),
    ),
    Rule(
        code="REA209",
        name="late-bound-loop-variable",
        summary="A callable made in a loop reads the loop variable late and is stored for later.",
        message=(
            "this callable reads the loop variable `{subject}` only when it is called, after "
            "the loop, so every stored callable sees its last value (a saga that undoes the "
            "last step N times); bind it: `lambda {subject}={subject}: ...` or "
            "`functools.partial(fn, {subject})`"
        ),
        fix_hint="bind it: `lambda sub=sub: ...` or `functools.partial(fn, sub)`",
        why=(
            "Python closures capture variables, not values. Compensations collected in a loop "
            "and run after a failure all read the variable as the loop left it, so the saga "
            "undoes the same step repeatedly and leaves the others in place, with every retry "
            "and replay doing the same. Run actions made in a loop and awaited after it "
            "(`futs.append(ctx.run(\"x\", lambda: cancel(sub)))`, then `gather`) are the same "
            "case: the SDK calls a run's action only when its future is awaited."
        ),
        fix=Fix.SAFE,
        fix_note="binding the value as a default argument changes no Restate call; the journal is untouched",
    ),
    Rule(
        code="REA210",
        name="handler-kind-call-mismatch",
        summary="A handler called through the client method of another kind.",
        message=(
            "{subject} does not match the target's kind: the request goes out without the key a "
            "keyed handler needs (or with a key an unkeyed one cannot take) and the call fails; "
            "use the client method of the target's kind "
            "(`{ctx}.object_call(handler, key=..., arg=...)` for a Virtual Object)"
        ),
        fix_hint="the client method of the target's kind (`ctx.object_call(handler, key=..., arg=...)`)",
        why=(
            "The SDK sends whatever the client method says: `service_call` carries no key, "
            "`object_call` and `workflow_call` carry one. Virtual Object and Workflow handlers "
            "are addressed by key, Services are not, so a call through the wrong method cannot "
            "reach the handler as written, and it fails only at run time, on every retry."
        ),
    ),
    Rule(
        code="REA301",
        name="redundant-idempotency-key",
        summary="An idempotency key derived only from per-invocation values.",
        message=(
            "`{subject}` is built only from per-invocation values; the journal already makes "
            "this call exactly-once, so the key adds nothing; drop it, or derive it from "
            "business data"
        ),
        fix_hint="drop the key, or derive it from business data",
        why=(
            "Calls made through the context are deduplicated by the journal. A key derived "
            "from `ctx.uuid()` is new for every invocation, so it never deduplicates across "
            "invocations either; it only costs server-side bookkeeping."
        ),
        fix=Fix.SAFE,
        fix_note="the journal already deduplicates the call; the key only added bookkeeping",
    ),
    Rule(
        code="REA302",
        name="nondeterministic-idempotency-key",
        summary="An idempotency key built from a clock read, random value or uuid1/uuid4.",
        message=(
            "`{subject}` changes on every retry, which defeats deduplication; derive the key "
            "from business data or `{ctx}.uuid()`"
        ),
        fix_hint="derive the key from business data or `ctx.uuid()`",
        why=(
            "An idempotency key exists to recognise the same request twice; a key built from "
            "the clock or fresh randomness is different each time, so duplicates go through."
        ),
    ),
    Rule(
        code="REA401",
        name="broad-except",
        summary="A broad except in handler code that swallows Restate's control-flow exceptions.",
        message=(
            "`{subject}` swallows Restate's suspension signal or `TerminalError`; catch the "
            "specific exception, or re-raise when `restate.exceptions.is_internal_exception(e)`"
        ),
        fix_hint="catch the specific exception; re-raise `restate.exceptions.is_internal_exception(e)`",
        why=(
            "The SDK suspends a handler by raising an internal exception through it; a bare "
            "`except:` or `except BaseException` that does not re-raise turns a suspension into "
            "a wrong result. `except Exception` around Restate calls swallows `TerminalError` "
            "(not reported when the code after the `try` always raises, after the `if`, `with` "
            "or `try` that holds it included: the invocation cannot end with a result)."
        ),
    ),
    Rule(
        code="REA402",
        name="retryable-error-for-bad-input",
        summary="A built-in bad-input exception (ValueError, KeyError, assert, ...) raised in handler code.",
        message=(
            "`{subject}` signals bad input with a retryable error: Restate retries every error "
            "that is not a `TerminalError`, so the same bad request fails again until the retry "
            "policy gives up; raise `restate.TerminalError(\"...\", status_code=400)`"
        ),
        fix_hint='`raise restate.TerminalError("...", status_code=400)`',
        why=(
            "Restate treats any exception other than `TerminalError` as transient and retries "
            "the invocation with backoff. Bad input does not get better on retry: the caller "
            "waits, the invocation burns retries, and the error it should have seen at once "
            "arrives late or never."
        ),
        severity=Severity.WARNING,
    ),
    Rule(
        code="REA501",
        name="compensation-after-action",
        summary="A saga action runs before its compensation is registered.",
        message=(
            "`{subject}` runs a saga action before registering its compensation: a crash between "
            "the two leaves the effect with no undo; register the compensation first"
        ),
        fix_hint="register the compensation first",
        why=(
            "If the process dies after the action but before the compensation is recorded, "
            "rollback cannot undo it. Registering first makes the undo durable before the effect."
        ),
    ),
)

RULES: Mapping[str, Rule] = {r.code: r for r in _RULES}
_BY_NAME: Mapping[str, Rule] = {r.name: r for r in _RULES}

DIVERGES_ON_REPLAY: frozenset[str] = frozenset({
    "REA101", "REA102", "REA103", "REA104", "REA106", "REA107", "REA108", "REA109", "REA110",
    "REA201", "REA302",
})
"""Codes whose finding can make a replay take another path than its journal: a value that
differs between the original run and the replay (clock, randomness, uuid, set order, race,
module state, I/O, environment, threads), a context call inside a run action (a journal entry
inside another), or an idempotency key that changes. `rea explain`
names these as a 570's cause. Not here: native sleep and replayed log lines (slow or noisy,
but the journal matches) and clock units (wrong, but replayed faithfully)."""


def by_code(code: str) -> Rule:
    """The rule for ``code`` (``REA101``); KeyError names the known codes if unknown."""
    try:
        return RULES[code.upper()]
    except KeyError:
        raise KeyError(f"unknown rea rule {code!r}; known: {', '.join(RULES)}") from None


def by_name(name: str) -> Rule:
    return _BY_NAME[name]


def iter_rules() -> Iterator[Rule]:
    return iter(_RULES)
