"""REA108 io-in-handler: I/O outside a run action repeats on every replay, unrecorded.

Besides the I/O calls themselves, the methods of the objects they create (a client, a
session, a file, a socket, a `pathlib.Path`) are I/O when the object is bound in handler
code (`client = httpx.AsyncClient()`, `with open(p) as f`) or at module level.
"""

from __future__ import annotations

import ast
from typing import Iterable, Iterator

from rea_lint.model import Function, Model, call_name
from rea_lint.rules.base import CallRule, Detection, NodeSource

_HEADER = "import restate, httpx\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context, url: str):\n"

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# Calls that create an object whose methods do I/O (the call itself is I/O too).
IO_FACTORIES = frozenset(
    {
        "builtins.open",
        "io.open",
        "codecs.open",
        "os.fdopen",
        "requests.Session",
        "requests.session",
        "requests.sessions.Session",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
        "urllib.request.urlopen",
        "socket.socket",
        "socket.create_connection",
        "socket.create_server",
        "socket.socketpair",
        "subprocess.Popen",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "ftplib.FTP",
    }
)
IO_CALLS = IO_FACTORIES | frozenset(
    {
        "os.open",
        "os.system",
        "os.popen",
        "os.remove",
        "os.unlink",
        "os.makedirs",
        "os.listdir",
        "os.scandir",
        "shutil.copy",
        "shutil.copyfile",
        "shutil.move",
        "shutil.rmtree",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "asyncio.open_connection",
        "urllib.request.urlretrieve",
        "httpx.stream",
        "aiohttp.request",
        *(f"requests.{v}" for v in _VERBS),
        *(f"httpx.{v}" for v in _VERBS),
    }
)
# A Path is no I/O until one of these is called on it.
PATH_FACTORIES = frozenset(
    {"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.Path.home", "pathlib.Path.cwd"}
)
PATH_IO_METHODS = frozenset(
    {
        "read_text",
        "read_bytes",
        "write_text",
        "write_bytes",
        "open",
        "touch",
        "unlink",
        "mkdir",
        "rmdir",
        "rename",
        "replace",
        "iterdir",
        "glob",
        "rglob",
        "exists",
        "is_file",
        "is_dir",
        "stat",
    }
)
_IO, _PATH = 1, 2


class IoInHandler(CallRule):
    code = "REA108"
    transitive = True
    targets = IO_CALLS

    def detect(self, model: Model, nodes: NodeSource) -> Iterator[Detection]:
        extra = model.config.extra_calls.get(self.code, ())
        factories = IO_FACTORIES | frozenset(extra)
        call_target = model.call_target
        bound = _bound_objects(model, nodes, factories)
        for call, fn in nodes(ast.Call):
            qual = call_target(call, fn)
            if qual is not None and (qual in IO_CALLS or qual in extra):
                yield call, fn, call_name(call)
                continue
            func = call.func
            if not isinstance(func, ast.Attribute):
                continue
            receiver = func.value
            if isinstance(receiver, ast.Name):
                kind = _kind_of_name(model, receiver.id, fn, bound, factories)
            elif isinstance(receiver, ast.Call):
                # `Path(p).read_text()`; `requests.Session().get()` is reported at the Session
                kind = _PATH if call_target(receiver, fn) in PATH_FACTORIES else 0
            else:
                kind = 0
            if kind == _IO or (kind == _PATH and func.attr in PATH_IO_METHODS):
                yield call, fn, call_name(call)

    invalid = (
        _HEADER + "    return httpx.get(url).json()\n",
        _HEADER + "    async with httpx.AsyncClient() as client:\n        return (await client.get(url)).json()\n",
        "import restate, httpx\nHTTP = httpx.AsyncClient()\nasync def h(ctx: restate.Context, url: str):\n"
        "    return await HTTP.get(url)\n",
        "import restate\nfrom pathlib import Path\nasync def h(ctx: restate.Context):\n    return Path('x').read_text()\n",
        "import restate, subprocess\nasync def h(ctx: restate.Context):\n    subprocess.run(['ls'])\n",
    )
    valid = (
        _HEADER + "    return await ctx.run_typed('fetch', lambda: httpx.get(url).json())\n",
        _HEADER + "    timeout = httpx.Timeout(5.0)\n    return timeout\n",
        "import restate\nfrom pathlib import Path\nasync def h(ctx: restate.Context):\n    return Path('x') / 'y'\n",
        "import restate, subprocess\nasync def h(ctx: restate.Context, args: list):\n    return subprocess.list2cmdline(args)\n",
    )


def _creates(model: Model, value: ast.expr | None, fn: Function | None, factories: frozenset[str]) -> int:
    """What an assigned value is: an I/O object, a Path, or neither (0)."""
    while isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return 0
    qual = model.call_target(value, fn) if fn is not None else model.qualify(value.func)
    if qual in factories:
        return _IO
    if qual in PATH_FACTORIES:
        return _PATH
    return 0


def _bound_objects(model: Model, nodes: NodeSource, factories: frozenset[str]) -> dict[tuple[int, str], int]:
    """(function id, name) -> kind, for names the code binds to an I/O object or a Path."""
    out: dict[tuple[int, str], int] = {}

    def bind(fn: Function, targets: Iterable[ast.expr], kind: int) -> None:
        if kind:
            for t in targets:
                if isinstance(t, ast.Name):
                    out[(id(fn), t.id)] = kind

    for assign, fn in nodes(ast.Assign):
        bind(fn, assign.targets, _creates(model, assign.value, fn, factories))
    for ann, fn in nodes(ast.AnnAssign):
        bind(fn, (ann.target,), _creates(model, ann.value, fn, factories))
    for with_, fn in nodes(ast.With, ast.AsyncWith):
        for item in with_.items:
            if item.optional_vars is not None:
                bind(fn, (item.optional_vars,), _creates(model, item.context_expr, fn, factories))
    return out


def _kind_of_name(
    model: Model, name: str, fn: Function, bound: dict[tuple[int, str], int], factories: frozenset[str]
) -> int:
    scope: Function | None = fn
    while scope is not None:
        if name in scope.local_names:
            return bound.get((id(scope), name), 0)
        scope = scope.parent
    if name in model.imports.names:
        return 0
    return _creates(model, model.module_values.get(name), None, factories)
