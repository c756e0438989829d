"""`rea explain`: from a 570 journal mismatch to the line of the current code and its cause.

A journaled value the code can no longer decode (no 570: the SDK's decoder fails at every retry)
is explained too (`explain.undecodable`).

Input: the error text (``--message TEXT``, ``--message-file FILE`` or stdin), or
``--invocation-id ID --admin-url URL`` (the last failure and the journal, read through the
admin API). PATHS are the current code (default: the current directory); ``--since REV``
(a git revision or a directory holding the old code) adds the `rea diff` verdict.

Exit codes: 0 the line is known, 1 rea cannot tell (it says why), 2 bad input (one line:
unparsable message, unreachable admin URL, unknown invocation id, unknown revision).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from rea_lint.explain.admin import AdminError, NotAMismatch, RecordedEntry, fetch_invocation
from rea_lint.explain.core import Explanation, Finding, describe_attempted, describe_recorded, explain
from rea_lint.explain.message import MessageError, Mismatch, NoOperation, parse_messages, set_target
from rea_lint.explain.since import SinceError, old_shapes
from rea_lint.explain.text import TextError, read_text
from rea_lint.explain.undecodable import Undecodable, explain_undecodable, parse_undecodable
from rea_lint.journal.ops import ordinal

from rea_lint.explain.arguments import add_parser

__all__ = ["add_parser", "run"]

EXIT_KNOWN, EXIT_UNDECIDED, EXIT_ERROR = 0, 1, 2


class _Bad(Exception):
    """Bad input: one line, exit 2."""


class _NotA570(MessageError):
    """The text holds no journal mismatch: kept, for `explain.undecodable` to read."""

    def __init__(self, message: str, failure: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.target: str | None = None


_EMPTY = {
    "invocation_id": ("--invocation-id", "give the id of the failing invocation (inv_1..., the server log's "
                      "restate.invocation.id, or `restate invocations list`)"),
    "admin_url": ("--admin-url", "give the server's admin API, e.g. http://localhost:9070"),
    "message_file": ("--message-file", "give the file that holds the 570 error text, or - for stdin"),
    "handler": ("--handler", "give SERVICE/HANDLER (or OBJECT/KEY/HANDLER), or leave it out"),
    "since": ("--since", "give the deployed code: a git revision, or the directory or file that holds it"),
}
"""Options whose empty value would otherwise be taken as not given (and so silently ignored)."""


def run(args: argparse.Namespace) -> int:
    from rea_lint.config import forget

    forget()  # each run reads pyproject.toml afresh, as `rea check` does
    try:
        for name, (flag, what) in _EMPTY.items():
            if getattr(args, name) is not None and not getattr(args, name).strip():
                raise _Bad(f"{flag} is empty: {what}")
        try:
            mismatches, journal = _input(args)
        except (_NotA570, NotAMismatch) as err:
            failure = parse_undecodable(err.failure)
            if failure is None:
                raise
            return _undecodable(args, failure, err.target)
        mismatch, others = mismatches[0], mismatches[1:]
        if args.handler:
            if args.handler.count("/") not in (1, 2) or not all(args.handler.split("/")):
                raise _Bad(f"--handler {args.handler!r}: expected SERVICE/HANDLER (or OBJECT/KEY/HANDLER)")
            set_target(mismatch, args.handler)
        shapes, problems = _current(args.paths)
        old, old_problems = old_shapes(args.since, args.paths) if args.since else (None, [])
    except (_Bad, MessageError, AdminError, SinceError, TextError) as err:
        print(f"rea: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    result = explain(mismatch, shapes, journal, old, args.since or "", ProjectFindings(args.paths), old_problems)
    problems = problems + [f"the code --since {args.since} names: {p}" for p in old_problems]
    if args.format == "json":
        data = result.as_dict()
        data["problems"] = problems
        data["several"] = several(mismatches) if others else None
        data["other_mismatches"] = [{"index": m.command_index, "target": m.target, "invocation_id": m.invocation_id,
                                     "recorded": describe_recorded(m), "attempted": describe_attempted(m)}
                                    for m in others]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(render(result, problems, several(mismatches) if others else ""))
    return EXIT_KNOWN if result.line is not None else EXIT_UNDECIDED


def several(mismatches: Sequence[Mismatch]) -> str:
    """What to say when the input holds more than one mismatch: which, which is explained, how to pick."""
    listed = ", ".join(
        f"#{n} " + (f"index {m.command_index}" if m.command_index is not None else m.kind)
        + f" in {m.target or 'an unnamed handler'}" + (f" (invocation {m.invocation_id})" if m.invocation_id else "")
        for n, m in enumerate(mismatches, 1))
    return (f"the input holds {len(mismatches)} different journal mismatches: {listed}; this explains #1: to explain "
            "another, give its record alone (e.g. in a --message-file), or its invocation id with --invocation-id "
            "and --admin-url")


def _input(args: argparse.Namespace) -> tuple[list[Mismatch], list[RecordedEntry] | None]:
    if args.invocation_id or args.admin_url:
        if not (args.invocation_id and args.admin_url):
            raise _Bad("--invocation-id and --admin-url go together")
        if args.message or args.message_file:
            raise _Bad("give either the error text or --invocation-id, not both")
        mismatch, journal = fetch_invocation(args.admin_url, args.invocation_id)
        return [mismatch], journal
    if args.message is not None and args.message_file is not None:
        raise _Bad("give the error text once: --message TEXT or --message-file FILE, not both")
    if args.message is not None:
        text = args.message
    elif args.message_file and args.message_file != "-":
        try:
            with open(args.message_file, "rb") as stream:
                text = read_text(stream, args.message_file)
        except OSError as err:
            raise _Bad(f"{args.message_file}: cannot read: {err.strerror or err}") from None
    else:
        if sys.stdin is None or (sys.stdin.isatty() and not args.message_file):
            raise _Bad("nothing to explain: paste the 570 error on stdin, or pass --message, --message-file "
                       "or --invocation-id with --admin-url")
        text = read_text(getattr(sys.stdin, "buffer", sys.stdin), "stdin")
    try:
        return parse_messages(text), None
    except NoOperation:
        raise
    except MessageError as err:
        raise _NotA570(str(err), text) from None


def _undecodable(args: argparse.Namespace, failure: Undecodable, target: str | None) -> int:
    """A journaled value the code cannot decode (no 570): the line that decoded it, and why."""
    try:
        if args.handler:
            target = args.handler
        shapes, problems = _current(args.paths)
        old, old_problems = old_shapes(args.since, args.paths) if args.since else (None, [])
    except (_Bad, SinceError) as err:
        print(f"rea: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    result = explain_undecodable(failure, shapes, old, args.since or "", target)
    problems = problems + [f"the code --since {args.since} names: {p}" for p in old_problems]
    if args.format == "json":
        data = result.as_dict()
        data["problems"] = problems
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        f = result.failure
        error = f"{f.error}" + (f" for `{f.model}`" if f.model else "")
        lines = [f"not a journal mismatch: a journaled value the code cannot decode ({error}): Restate retries the invocation, "
                 "and it fails the same way every time" if result.op is not None else
                 f"not a journal mismatch: {error}, which no operation of the code that decodes a journaled value raised"]
        if result.handler is not None:
            lines.append(f"  handler:   {result.handler.service}/{result.handler.handler}")
        lines.append(f"  fields:    {'; '.join(f.fields) or '?'}")
        lines.append(f"  line:      {result.op.where()}  `{result.op.text}`" if result.op is not None
                     else f"  line:      cannot tell: {result.undecided}")
        lines.append(f"  cause:     {result.cause}")
        lines.extend(f"  problem:   {p}" for p in problems)
        sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_KNOWN if result.line is not None else EXIT_UNDECIDED


def _current(paths: Sequence[str]):
    from rea_lint.journal.command import code_config
    from rea_lint.journal.shape import load_shapes

    for raw in paths:
        if not Path(raw).exists():
            raise _Bad(f"{raw}: no such file or directory")
    return load_shapes(paths, code_config(paths[0] if paths else None))


class ProjectFindings:
    """The catalog's findings in a file of the code explained, as `rea check` of that code reports
    them: transitive ones included (a helper's clock read, `price_quote() -> time.time()`, or a
    model's `default_factory`, reported at the handler's call), which are as much a cause of a
    570 as a direct one. The code is checked once, when the first file is asked about."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        self._by_file: dict[str, list[tuple[str, int, str]]] | None = None

    def __call__(self, path: str) -> list[Finding]:
        if self._by_file is None:
            self._by_file = self._check()
        found = self._by_file.get(os.path.abspath(path))
        if found is None:  # (a file outside the paths given: on its own)
            found = self._check_files([Path(path)]).get(os.path.abspath(path), [])
        return [Finding(code, path, line, message) for code, line, message in found]

    def _check(self) -> dict[str, list[tuple[str, int, str]]]:
        from rea_lint.discovery import discover

        files, _problems = discover(self.paths)  # (a path that does not exist was refused already)
        return self._check_files(files)

    @staticmethod
    def _check_files(files: Sequence[Path]) -> dict[str, list[tuple[str, int, str]]]:
        from rea_lint.config import load_config
        from rea_lint.runner import Options, check_files, link_project, one_run

        configs = [load_config(f) for f in files]
        with one_run():
            results = check_files(list(zip(files, configs)), Options(cache_dir=None), os.cpu_count() or 1)
        link_project(results, configs)
        return {os.path.abspath(r.path): [(d.code, d.line, d.message) for d in r.diagnostics] for r in results}


def render(result: Explanation, problems: Sequence[str] = (), several: str = "") -> str:
    m = result.mismatch
    lines = []
    where = m.target or "an unnamed handler"
    inv = f" (invocation {m.invocation_id})" if m.invocation_id else ""
    inferred = " (inferred: the only handler whose code attempts this at that index)" if m.inferred_target else ""
    lines.append(f"[570 Journal mismatch] in {where}{inferred}{inv}")
    if m.unusable_target is not None:
        lines.append(f"  target:    not used: the input's restate.invocation.target {m.unusable_target!r} is no "
                     "SERVICE/HANDLER (or OBJECT/KEY/HANDLER) target"
                     + ("; rea inferred the handler from the code" if m.inferred_target else ""))
    if several:
        lines.append(f"  several:   {several}")
    if m.command_index is not None:
        lines.append(f"  journal index {m.command_index}: the handler's operation #{m.command_index} (index 0 is its input)")
    if m.kind == "await":  # (no index, no operation: what the await waited on)
        lines.append(f"  awaited:   {', '.join(n.rstrip('.') for n in m.notifications) or '?'}")
    else:
        recorded_by = f" (written by the old code's {result.recorded_op.where()})" if result.recorded_op else ""
        lines.append(f"  recorded:  {describe_recorded(m)}{recorded_by}")
        lines.append(f"  attempted: {describe_attempted(m)}")
    for name in m.unknown_operations:
        lines.append(f"  unknown:   '{name}' is no operation rea knows (from a newer restate-sdk or server?)")
    if m.truncated:
        lines.append(f"  cut short: {m.truncated}; rea found the line from the operation and the index alone: "
                     "paste the whole message to check the rest")
    if m.unprinted:
        lines.append("  differs:   the server printed no field: one it leaves out differs (a state operation's "
                     "`entry_name`, for one), unless the message was cut there")
    if result.matched:
        lines.append(f"  handler:   {result.handler.service}/{result.handler.handler}: {result.matched}")  # type: ignore[union-attr]
    if result.op is not None:
        via = f" (reached through {' -> '.join(result.op.via)})" if result.op.via else ""
        lines.append(f"  line:      {result.op.where()}  `{result.op.text}`{via}")
    elif result.exit is not None:
        how = "returns" if result.exit.how == "return" else "raises"
        lines.append(f"  line:      {result.exit.where()}  `{result.code}`: the current code ends here ({how}) at journal index "
                     f"{m.command_index}, where the journal recorded {describe_recorded(m)}: the old code went on there")
    elif result.awaited is not None and result.awaited.at:
        a = result.awaited
        made = f" (`{a.made.text}`, {a.made.where()})" if a.made is not None else ""
        lines.append(f"  line:      {a.at}  `{a.text}`: the code awaits the invocation's {ordinal(a.number)} awakeable{made} "
                     "where the journal holds more commands, and the journal holds no completion of it")
    elif result.input_at:
        lines.append(f"  line:      {result.input_at}  {result.code}: the SDK could not decode the journaled input, "
                     "and ended the invocation where its journal holds more")
    else:
        lines.append(f"  line:      cannot tell: {result.undecided}")
    for f in result.findings:
        lines.append(f"  finding:   {f.path}:{f.line}: {f.message}")
    lines.append(f"  cause:     {result.cause}")
    if result.diff is not None and result.diff.advice:
        lines.append(f"  what to do: {result.diff.advice}")
    for p in problems:
        lines.append(f"  note: {p}")
    return "\n".join(lines) + "\n"
