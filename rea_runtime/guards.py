"""Per-invocation guard state and the stdlib hooks that report catalog rules while handlers run.

Scope is a contextvar holding the running :class:`Invocation`: it is set only by the guarded
handler wrapper, so the SDK's own tasks, other invocations and non-handler code see ``None``
(or, inside a run action, :data:`IN_RUN` is set) and pay one contextvar read per hooked call.
The SDK's tasks inherit the handler's contextvars, so a hook also checks *who* called it: only
calls whose nearest non-library frame is user code count (restate's `ctx.time()` reads
`time.time()` inside restate and is not flagged; `logging` reading the clock is not flagged).
The hooks are installed once per process (no re-import per run, unlike Temporal's sandbox).
"""

from __future__ import annotations

import collections
import contextvars
import functools
import inspect
import os
import sys
import sysconfig
import threading
from typing import Any, Callable, cast

import structlog
from restate.exceptions import TerminalError

from rea_lint.catalog import RULES

from . import events
from .policy import Policy, current_policy

__all__ = ["Invocation", "CURRENT", "IN_RUN", "install", "report", "user_frame", "installed"]

CURRENT: contextvars.ContextVar["Invocation | None"] = contextvars.ContextVar("rea_invocation", default=None)
IN_RUN: contextvars.ContextVar["str | None"] = contextvars.ContextVar("rea_in_run", default=None)

_log = structlog.get_logger("rea_runtime")

# Warnings are once per invocation and rule, across the attempts this process serves.
_WARNED: "collections.OrderedDict[tuple[str, str], None]" = collections.OrderedDict()
_WARNED_MAX = 50_000
_warned_lock = threading.Lock()


class DurableOps(list):
    """The durable operations handler code started (REA204), each recorded on the hot path as
    one flat tuple ``(future, template, ctx name, argument, code, offset)`` (the caller's code
    object and the offset of its call instruction, `frame.f_lasti`); iterating gives
    ``(future, subject, (file, line))``, the subject made from ``template.format(ctx name,
    argument)`` and the line looked up only then: almost every future is awaited and never
    described (`frame.f_lineno` searches the line table on every call). `described` makes them
    only for the futures a check picked."""

    __slots__ = ()

    def __iter__(self) -> Any:
        return self.described(None)

    def described(self, which: Callable[[Any], bool] | None) -> Any:
        """``(future, subject, (file, line))`` of each future ``which(future)`` picks (all: None)."""
        for fut, template, ctx, arg, code, offset in list.__iter__(self):
            if which is None or which(fut):
                yield fut, template.format(ctx, arg), (code.co_filename, _line_at(code, offset))


def _line_at(code: Any, offset: int) -> int | None:
    """The source line of the instruction at byte ``offset`` of ``code`` (what `f_lineno` says)."""
    for start, end, line in code.co_lines():
        if start <= offset < end:
            return line
    return None


class Invocation:
    """What the guards know about one attempt of one handler invocation."""

    __slots__ = ("sdk_ctx", "kind", "policy", "handler", "active", "futures", "ctx_uuids",
                 "fresh", "internal_exc", "raised", "state_sizes", "__weakref__")

    def __init__(self, sdk_ctx: Any, kind: str | None, policy: Policy | None, handler: str) -> None:
        self.sdk_ctx = sdk_ctx
        self.kind = kind
        self.policy = policy
        self.handler = handler
        self.active = True
        self.futures = DurableOps()
        """The durable ops created by handler code (REA204)."""
        self.ctx_uuids: list[Any] = []
        """This invocation's `ctx.uuid()` values (REA301; their text forms are made only to check a key)."""
        self.fresh: set[str] = set()
        """Text forms of uuid4/uuid1/clock values read by handler code (REA302)."""
        self.internal_exc: BaseException | None = None
        """The SDK's suspension/internal exception raised in this invocation (REA401)."""
        self.raised: TerminalError | None = None
        """A strict violation already raised (re-raised if the handler swallowed it)."""
        self.state_sizes: dict[str, int] | None = None
        """Serialized size of each state entry of the key, when a total budget is measured."""

    def end(self) -> None:
        """The attempt is over: no hook reports for it, and what it held into the SDK's object
        graph goes. The SDK's tasks keep a copy of the handler's contextvars (so this object) and
        the futures it recorded hold those tasks (a lazy future's task): kept, each invocation's
        whole graph (~90 objects: context, VM, futures, tasks, the HTTP stream) would be a cycle
        that only the cyclic collector frees, ~2x the collections of an unguarded app and a
        growing oldest generation (the guarded app's extra CPU per invocation)."""
        self.active = False
        self.futures.clear()
        self.internal_exc = None  # its traceback holds the handler's frames, and so this object
        self.raised = None

    @property
    def invocation_id(self) -> str:
        try:
            return self.sdk_ctx.request().id
        except Exception:  # noqa: BLE001 - best effort, only for messages
            return "?"

    def policy_for(self, code: str) -> str:
        return (self.policy or current_policy()).for_rule(code)


def _location(where: Any) -> str:
    """``file:line`` of a frame or a ``(file, line)`` pair (kept as a pair on hot paths: the text
    is made only when something is reported)."""
    if where is None:
        return "<unknown>"
    if isinstance(where, str):
        return where
    if isinstance(where, tuple):
        return f"{where[0]}:{where[1]}"
    return f"{where.f_code.co_filename}:{where.f_lineno}"


def report(inv: Invocation | None, code: str, subject: str, where: Any = None, ctx: str = "ctx") -> None:
    """Apply the policy to one violation. ``where``: a frame, a ``(file, line)`` pair, or a
    ``file:line`` string."""
    policy = inv.policy_for(code) if inv is not None else current_policy().for_rule(code)
    if policy == "disabled":
        return
    events.emit("violation", code=code, policy=policy)
    rule = RULES[code]
    location = _location(where)
    message = f"{rule.render(subject=subject, ctx=ctx)} (at {location}; fix: {rule.fix_hint})"
    if policy == "strict":
        err = TerminalError(message, status_code=500)
        if inv is not None and inv.raised is None:
            inv.raised = err
        raise err
    inv_id = inv.invocation_id if inv is not None else "?"
    key = (inv_id, code)
    with _warned_lock:
        if key in _WARNED and inv_id != "?":
            return
        _WARNED[key] = None
        if len(_WARNED) > _WARNED_MAX:
            _WARNED.popitem(last=False)
    structlog.get_logger("rea_runtime").warning(
        message, code=code, rule=rule.name, location=location, fix=rule.fix_hint,
        invocation_id=inv_id, handler=inv.handler if inv is not None else None,
    )


# --- who is calling? ---------------------------------------------------------------------

USER, LIB, SDK = 0, 1, 2


def _lib_prefixes() -> tuple[str, ...]:
    paths = set()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            paths.add(os.path.realpath(sysconfig.get_path(name)))
        except KeyError:
            pass
    for p in sys.path:
        if p and ("site-packages" in p or "dist-packages" in p):
            paths.add(os.path.realpath(p))
    return tuple(sorted((p.rstrip(os.sep) + os.sep for p in paths), key=len, reverse=True))


def _sdk_prefixes() -> tuple[str, ...]:
    import restate

    here = os.path.dirname(os.path.realpath(__file__)) + os.sep
    sdk = os.path.dirname(os.path.realpath(restate.__file__)) + os.sep
    # rea_lint (the config loader the policy reads, the catalog) is rea's own code, never the
    # handler's: its file reads inside an invocation are not the user's I/O (and reporting them
    # would ask the policy, which is what is being loaded)
    lint = os.path.join(os.path.dirname(here.rstrip(os.sep)), "rea_lint") + os.sep
    return (here, sdk, lint)


_LIB: tuple[str, ...] = ()
_SDK: tuple[str, ...] = ()
_KIND: dict[str, int] = {}


def _classify(filename: str) -> int:
    kind = _KIND.get(filename)
    if kind is None:
        real = os.path.realpath(filename) if not filename.startswith("<") else filename
        if filename.startswith("<"):
            kind = LIB
        elif real.startswith(_SDK):
            kind = SDK
        elif real.startswith(_LIB):
            kind = LIB
        else:
            kind = USER
        _KIND[filename] = kind
    return kind


def user_frame(frame: Any, walk: bool) -> Any:
    """The user frame responsible for a hooked call, or None if the SDK/a library made it.

    ``walk=False``: only the direct caller counts (a library reading the clock is its business).
    ``walk=True``: walk up through library frames (I/O and threads started *via* httpx,
    asyncio or concurrent.futures are still the handler's doing), stopping at SDK frames.
    """
    while frame is not None:
        kind = _classify(frame.f_code.co_filename)
        if kind == USER:
            return frame
        if kind == SDK or not walk:
            return None
        frame = frame.f_back
    return None


def active() -> Invocation | None:
    """The invocation whose handler code may be running here (None in run actions)."""
    inv = CURRENT.get()
    if inv is None or not inv.active or IN_RUN.get() is not None:
        return None
    return inv


# --- hooks ---------------------------------------------------------------------------------

_installed = False
_install_lock = threading.Lock()
ORIGINALS: dict[Any, Any] = {}
"""original callable -> guarded replacement (used to rebind `from x import y` names)."""


def installed() -> bool:
    return _installed


def _record_fresh(inv: Invocation, value: Any) -> None:
    if isinstance(value, float):
        inv.fresh.update({repr(value), str(int(value)), str(int(value * 1000))})
    elif isinstance(value, int):
        inv.fresh.update({str(value), str(value // 1_000_000), str(value // 1_000_000_000)})
    else:  # uuid.UUID
        inv.fresh.update({str(value), value.hex})


def _third_party_thread(thread: Any) -> bool:
    """A thread whose code is a third-party library's (Sentry's transport worker, an exporter's
    flush loop): started lazily by that library while a handler happens to run, it is the
    library's housekeeping, not the handler's work. Stdlib threads (executors, `Timer`) and
    threads running user code stay the caller's doing."""
    fn = getattr(thread, "_target", None) or type(thread).run
    while isinstance(fn, functools.partial):
        fn = fn.func
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is None:
        return False
    filename = code.co_filename
    return _classify(filename) == LIB and ("site-packages" in filename or "dist-packages" in filename)


_INSTALL_MARKERS = (".dist-info" + os.sep, ".egg-info" + os.sep)


def _installation_read(file: Any = None, mode: str = "r", *args: Any, **kwargs: Any) -> bool:
    """A library reading the program's own installation (package metadata, source lines for a
    traceback), read-only: what Sentry, `importlib.metadata` and `linecache` do mid-handler.
    The same on every replay, and not the handler's I/O."""
    if isinstance(kwargs.get("mode"), str):
        mode = kwargs["mode"]
    if not isinstance(mode, str) or any(c in mode for c in "wax+"):
        return False
    try:
        path = os.fspath(file)
    except TypeError:
        return False
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if path.endswith((".py", ".pyi")) or any(m in path for m in _INSTALL_MARKERS) or path in sys.path:
        return True  # sources, package metadata, an import-path entry (python311.zip)
    return os.path.realpath(path).startswith(_LIB)


ANY = -1
"""`_hook`'s arity for a function that takes positional arguments only, but not a fixed number."""


def _arity(orig: Callable[..., Any]) -> int | None:
    """How many arguments ``orig`` takes when it takes positional ones only (``os.urandom(size, /)``:
    1, ``uuid4()``: 0, :data:`ANY` when optional or variadic); None when it takes keywords or has
    no signature to read (most C functions of 3.11: `_patch` is told theirs)."""
    try:
        params = list(inspect.signature(orig).parameters.values())
    except (TypeError, ValueError):
        return None
    if not all(p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL) for p in params):
        return None
    if any(p.kind is p.VAR_POSITIONAL or p.default is not p.empty for p in params):
        return ANY
    return len(params)


def _hook(code: str, subject: str, orig: Callable[..., Any], walk: bool = False,
          record: bool = False, library_owned: Callable[..., bool] | None = None,
          arity: int | None = None) -> Callable[..., Any]:
    """The guarded replacement of ``orig``. Outside handlers it costs one call frame and one
    contextvar read. ``arity`` (see `_arity`) picks the hook's signature: a hook with
    ``**kwargs`` makes and unpacks an empty dict on every call, and one with ``*args`` a tuple
    and a call the interpreter cannot specialize, which together cost more than the check; a
    function that takes no keywords gets a hook without them, and one of 0 or 1 argument a hook
    of exactly that many.

    A hooked function the stdlib calls from inside another (`uuid4` reads `os.urandom`) passes
    both hooks. The inner one never reports there (its caller is a library frame and it does not
    walk up), so only the handler's own call is reported; outside handlers it adds one frame and
    contextvar read, about what checking that an unhooked copy of the outer function still
    matches the module would cost, so the originals are called as they are."""
    get_inv, get_run = CURRENT.get, IN_RUN.get
    getframe = sys._getframe

    def checked(inv: Invocation, args: tuple, kwargs: dict) -> Any:  # a handler may be running
        frame = user_frame(getframe(2), walk and not (library_owned is not None and library_owned(*args)))
        if frame is None:
            return orig(*args, **kwargs)
        report(inv, code, subject, frame)
        result = orig(*args, **kwargs)
        if record:
            _record_fresh(inv, result)
        return result

    guarded: Callable[..., Any]
    if arity == 0:
        def no_argument() -> Any:
            inv = get_inv()
            if inv is None or not inv.active or get_run() is not None:
                return orig()
            return checked(inv, (), _NO_KWARGS)
        guarded = no_argument
    elif arity == 1:
        def one_argument(arg: Any, /) -> Any:
            inv = get_inv()
            if inv is None or not inv.active or get_run() is not None:
                return orig(arg)
            return checked(inv, (arg,), _NO_KWARGS)
        guarded = one_argument
    elif arity is not None:
        def positional(*args: Any) -> Any:
            inv = get_inv()
            if inv is None or not inv.active or get_run() is not None:
                return orig(*args)
            return checked(inv, args, _NO_KWARGS)
        guarded = positional
    else:
        def any_arguments(*args: Any, **kwargs: Any) -> Any:
            inv = get_inv()
            if inv is None or not inv.active or get_run() is not None:
                return orig(*args, **kwargs)
            return checked(inv, args, kwargs)
        guarded = any_arguments
    # tracebacks and a refused call name the original ("urandom() takes 1 positional argument ...")
    if sys.version_info >= (3, 11):  # (code objects have a qualified name from 3.11 on)
        guarded.__code__ = guarded.__code__.replace(co_name=orig.__name__, co_qualname=orig.__qualname__)
    else:
        guarded.__code__ = guarded.__code__.replace(co_name=orig.__name__)
    functools.update_wrapper(guarded, orig)
    cast(Any, guarded).__rea_original__ = orig
    ORIGINALS[orig] = guarded
    return guarded


_NO_KWARGS: dict[str, Any] = {}


def _patch(owner: Any, attr: str, code: str, subject: str, walk: bool = False, record: bool = False,
           library_owned: Callable[..., bool] | None = None, arity: int | None = None) -> None:
    """Replace ``owner.attr`` by its hook. ``arity``: see `_arity`, which reads it from the
    signature when not given."""
    orig = getattr(owner, attr)
    if getattr(orig, "__rea_original__", None) is not None:
        return
    if arity is None:
        arity = _arity(orig)
    setattr(owner, attr, _hook(code, subject, orig, walk, record, library_owned, arity))


def _patch_method(cls: type, attr: str, code: str, subject: str) -> None:
    """Hook a Python-level method (``__init__``/``start``) so classes stay classes."""
    _patch(cls, attr, code, subject, walk=True)


_RANDOM_FUNCS = ("random", "uniform", "triangular", "randint", "choice", "randrange", "sample",
                 "shuffle", "choices", "normalvariate", "lognormvariate", "expovariate",
                 "vonmisesvariate", "gammavariate", "gauss", "betavariate", "paretovariate",
                 "weibullvariate", "getrandbits", "randbytes")


def _hook_internal_exceptions() -> None:
    """Remember, per invocation, that the SDK raised its suspension/internal exception (REA401)."""
    from restate.exceptions import SdkInternalBaseException

    orig_init = SdkInternalBaseException.__init__
    if getattr(orig_init, "__rea_original__", None) is not None:
        return

    @functools.wraps(orig_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        orig_init(self, *args, **kwargs)
        inv = CURRENT.get()
        if inv is not None and inv.active and inv.internal_exc is None:
            inv.internal_exc = self

    __init__.__rea_original__ = orig_init  # type: ignore[attr-defined]
    SdkInternalBaseException.__init__ = __init__  # type: ignore[method-assign]


def _mark_awaited(futures: Any, first_wins: bool = False) -> None:
    futures = list(futures)
    from .misuse import check_waits  # REA207: a combinator over an exclusive handler's awakeable

    check_waits(futures, sys._getframe(2), first_wins)
    for fut in futures:
        try:
            fut.__rea_awaited__ = True
        except AttributeError:
            pass


def _hook_combinators() -> None:
    """`restate.gather/select/...` consume futures without awaiting them one by one (REA204)."""
    import restate
    import restate.asyncio as rasyncio

    for name in ("gather", "wait_completed", "as_completed", "select"):
        orig = getattr(rasyncio, name)
        if getattr(orig, "__rea_original__", None) is not None:
            continue
        if name == "select":

            def make(orig: Any = orig) -> Any:
                @functools.wraps(orig)
                def select(**kws: Any) -> Any:
                    _mark_awaited(kws.values(), first_wins=True)
                    return orig(**kws)

                return select
        else:

            def make(orig: Any = orig) -> Any:
                @functools.wraps(orig)
                def combinator(*futures: Any) -> Any:
                    _mark_awaited(futures)
                    return orig(*futures)

                return combinator

        hooked = make()
        hooked.__rea_original__ = orig
        ORIGINALS[orig] = hooked
        setattr(rasyncio, name, hooked)
        if getattr(restate, name, None) is orig:
            setattr(restate, name, hooked)


def install() -> None:
    """Install the stdlib hooks once per process (idempotent, thread-safe)."""
    global _installed, _LIB, _SDK
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        import asyncio
        import asyncio.base_events
        import builtins
        import concurrent.futures
        import datetime as _dt  # noqa: F401 - datetime is handled per handler module
        import io
        import multiprocessing.process
        import random
        import secrets
        import socket
        import subprocess
        import time
        import uuid

        _LIB, _SDK = _lib_prefixes(), _sdk_prefixes()
        # C functions without a signature to read in 3.11 (time() and time_ns() take no argument)
        _patch(time, "time", "REA101", "time.time()", record=True, arity=0)
        _patch(time, "time_ns", "REA101", "time.time_ns()", record=True, arity=0)
        for fn in _RANDOM_FUNCS:
            if hasattr(random, fn):
                _patch(random, fn, "REA102", f"random.{fn}()")
        _patch(os, "urandom", "REA102", "os.urandom()")
        for fn in ("token_bytes", "token_hex", "token_urlsafe", "choice", "randbelow", "randbits"):
            _patch(secrets, fn, "REA102", f"secrets.{fn}()")
        _patch(uuid, "uuid1", "REA103", "uuid.uuid1()", record=True)
        _patch(uuid, "uuid4", "REA103", "uuid.uuid4()", record=True)
        _patch(time, "sleep", "REA105", "time.sleep()", arity=1)
        _patch(asyncio, "sleep", "REA105", "asyncio.sleep()")
        _patch(builtins, "open", "REA108", "open()", walk=True, library_owned=_installation_read)
        io.open = builtins.open
        _patch(os, "system", "REA108", "os.system()", walk=True)
        _patch_method(socket.socket, "__init__", "REA108", "socket.socket()")
        _patch_method(subprocess.Popen, "__init__", "REA108", "subprocess.Popen()")
        _patch(threading.Thread, "start", "REA110", "threading.Thread.start()", walk=True,
               library_owned=_third_party_thread)
        _patch_method(concurrent.futures.ThreadPoolExecutor, "__init__", "REA110", "ThreadPoolExecutor()")
        _patch_method(concurrent.futures.ProcessPoolExecutor, "__init__", "REA110", "ProcessPoolExecutor()")
        _patch_method(multiprocessing.process.BaseProcess, "start", "REA110", "multiprocessing.Process.start()")
        _patch_method(asyncio.base_events.BaseEventLoop, "run_in_executor", "REA110", "loop.run_in_executor()")
        _patch(asyncio, "to_thread", "REA110", "asyncio.to_thread()", walk=True)
        _hook_internal_exceptions()
        _hook_combinators()
        from .misuse import install_wait_hook

        install_wait_hook()
        _installed = True


def rebind_module_globals(namespace: dict[str, Any]) -> None:
    """Point a handler module's `from time import time`-style names at the hooked versions.

    Names bound before the hooks were installed still hold the originals; rebinding them in
    the modules that define handlers (once, at decoration) covers the usual import styles.
    """
    from .clock import guarded_date_types

    dt_map = guarded_date_types()
    for name, value in list(namespace.items()):
        try:
            replacement = ORIGINALS.get(value) or dt_map.get(value)
        except Exception:  # noqa: BLE001 - unhashable or odd __eq__: not one of ours
            continue
        if replacement is not None and replacement is not value:
            namespace[name] = replacement
