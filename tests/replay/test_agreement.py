"""Proof on a real restate-server: `rea diff` and `rea explain` agree with what the server does.

For every change pair of the corpus (tests/replay/corpus/v1 -> v2) invocations are parked on
v1 at each suspension point, v2 replaces v1 at the same deployment address, and the parked
invocations are resumed (tests/replay/driver.py). Then, per invocation:

- the server's outcome: completed, 570 journal mismatch (`sys_invocation.last_failure`), or
  undecodable: the journal matched but a recorded result no longer decodes with the class the new
  code reads it into, and Restate retries the invocation for good (no 570). (A recorded input
  that no longer decodes is a 570: the SDK ends the invocation at index 1 where the journal holds
  more; the line is the handler's input parameter, which the SDK's log names by its model);
- `rea diff`'s verdict for that invocation (`rea diff --base v1 --head v2 --format json`):
  breaking when the handler's first divergence lies
  inside the journal the invocation had recorded (its index < the number of recorded commands);
  an undecodable invocation must be one rea diff calls breaking for that reason
  (`divergence.undecodable`), and a 570 one that rea diff does not;
  for a pair whose v1 says "Computed on purpose" (a value's computation changed, its bytes
  unknowable from source) the verdict must be unknown, and some invocation must break on the
  server, which shows that `compatible` would have been wrong; for a pair whose v1 has an
  `# exact index:` line (every invocation that breaks breaks at one index), the server's 570
  must name rea diff's index, and rea diff's break must depend on no condition;
- for every 570, `rea explain`'s line, from the server's log text and from the invocation id;
  the SDK's own traceback (the app's log) names the line that attempted the operation, and
  the explanations must name that same line.

The table is published in docs/replay-compatibility.md; `REA_UPDATE_DOCS=1` rewrites it.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from rea_lint.explain.command import add_parser
from rea_lint.explain.message import parse_message
from rea_lint.explain.undecodable import parse_undecodable

from .driver import CORPUS, Corpus, Invocation, Pair, load_pairs, plan

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "replay-compatibility.md"
START, END = "<!-- agreement-table:start -->", "<!-- agreement-table:end -->"
MIN_PAIRS = 30
UNKNOWN_ID = "inv_13bQzop5XID25E67ePggMRHakRFxWOUXgV"
UNDECODABLE = ("undecodable",)
"""The outcome of a journaled result the new code cannot decode (retried for good, no 570)."""
ENDED = "failed: "
"""The driver's outcome of an invocation the server completed with a failure."""
V2 = os.path.relpath(CORPUS / "v2", ROOT)
V1 = os.path.relpath(CORPUS / "v1", ROOT)


@dataclass
class Row:
    inv: Invocation
    index: int | None
    """The server's journal index (570 only)."""
    diff: str
    """`compatible`, `breaking@N` or `unknown: ...` for this invocation."""
    diff_breaks: bool | None
    diff_index: int | None
    """`rea diff`'s divergence index, when it is breaking on no condition."""
    diff_undecodable: bool
    """`rea diff` breaks it on a recorded result the new code cannot decode, not on a 570."""
    from_log: dict[str, Any] | None
    from_id: dict[str, Any] | None
    truth: str | None
    """`path:line` of the innermost corpus frame of the SDK's traceback for this pair and index."""
    alone: dict[str, Any] | None = None
    """For a 570 rea diff puts down to a class that now writes another value (other keys, another
    default): `rea explain` from the invocation id without --since (the two values the server
    printed name the class)."""

    @property
    def server_breaks(self) -> bool:
        return self.inv.outcome in ("570", *UNDECODABLE)

    @property
    def undecodable(self) -> bool:
        """The server broke it on a journaled value it could not decode (no 570)."""
        return self.inv.outcome in UNDECODABLE

    @property
    def ended(self) -> bool:
        """The new code ended it with a `TerminalError` of its own (`failed: [500] <message>`):
        it replayed without a mismatch and then took a way out the old code did not take, so it
        ran to an end, as a completed one does (see `_terminal_messages`)."""
        return self.inv.outcome.startswith(ENDED) and self.inv.outcome.split("] ", 1)[-1] in _terminal_messages(self.inv.pair)


@contextlib.contextmanager
def _in(directory: Path) -> Iterator[None]:
    """`contextlib.chdir` (3.11+), on 3.10 too."""
    before = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def _sides(pair: Pair) -> tuple[str, str]:
    """What `rea explain` reads as the current code and `--since`: the pair's two files, or the
    two whole versions where the pair imports a module beside it (p127: `from .shared_text`)."""
    if "\nfrom ." in pair.v1.read_text():
        return V2, V1
    return f"{V2}/{pair.name}.py", f"{V1}/{pair.name}.py"


def _explain(argv: list[str]) -> tuple[int, dict[str, Any] | None, str]:
    import argparse

    from rea_lint.explain.command import run

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    with _in(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(parser.parse_args(["explain", *argv]))
    data = json.loads(out.getvalue()) if out.getvalue().strip() else None
    return code, data, err.getvalue()


_TRANSPORT = "(RT0010)"
"""restate-server's code for an attempt lost to the network (`stream closed because of a broken
pipe`): the invocation is retried, and its next attempt fails as the one before."""


def _explain_id(argv: list[str], wait: float = 60.0) -> tuple[int, dict[str, Any] | None, str]:
    """`_explain` with `--invocation-id`: the server keeps retrying a failed invocation, and an
    attempt the network loses (on a loaded machine) replaces its last failure for a moment.
    `rea explain` then rightly refuses it; the next attempt brings the mismatch back."""
    deadline = time.monotonic() + wait
    while True:
        code, data, err = _explain(argv)
        if _TRANSPORT not in err or time.monotonic() > deadline:
            return code, data, err
        time.sleep(0.5)


def _rea_diff() -> dict[tuple[str, str], dict[str, Any]]:
    """`rea diff --base v1 --head v2 --format json`, as a user runs it: (service, handler) -> verdict."""
    from rea_lint.cli import main

    out = io.StringIO()
    with _in(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["diff", "--base", V1, "--head", V2, "--format", "json"])
    assert code in (0, 1), code
    return {(h["service"], h["handler"]): h for h in json.loads(out.getvalue())["handlers"]}


def _server_log_block(log: str, invocation_id: str) -> str | None:
    """The server's WARN record for this invocation, as a user would copy it from the log."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if invocation_id in line and "RT0016" in "\n".join(lines[i: i + 4]):
            start = i
            while start > 0 and "WARN" not in lines[start]:
                start -= 1
            end = i
            while end < len(lines) - 1 and "Visit" not in lines[end]:
                end += 1
            return "\n".join(lines[start: end + 1])
    return None


_SDK_BLOCK = re.compile(r"Exception in Restate handler\n(.*?VMException: \(570\).*?)(?=\nException in Restate handler|\n\[|\Z)", re.S)


_INPUT_UNPARSED = re.compile(r"Unable to parse an input argument\. \d+ validation errors? for (\w+)")


def _input_lines(app_log: str, names: set[str]) -> dict[str, str]:
    """Pair module -> its v2 handler's input parameter line, for the pairs whose journaled input
    the SDK could not decode (its 570 block: "Unable to parse an input argument", naming the model
    the handler's last parameter is annotated with; no frame of the handler's own code)."""
    models = {m for block in _SDK_BLOCK.findall(app_log) for m in _INPUT_UNPARSED.findall(block)}
    out = {}
    for name in sorted(names):
        tree = ast.parse((CORPUS / "v2" / f"{name}.py").read_text(encoding="utf-8"))
        for fn in (n for n in tree.body if isinstance(n, ast.AsyncFunctionDef) and n.name == "go"):
            last = fn.args.args[-1]
            if isinstance(last.annotation, ast.Name) and last.annotation.id in models:
                out[name] = f"{V2}/{name}.py:{last.lineno}"
    return out


_ENDS_AT = re.compile(r"#\s*ends at index (\d+)\s*$")


def _declared_end(pair: Pair, index: int) -> str | None:
    """The v2 line marked `# ends at index N`: a `return` the new code takes where the old code
    went on. The SDK's 570 for it names no line (the handler has returned when its output is
    written: "attempts ... 'handler return'", no frame of the handler's code), so the pair marks
    the line, as a flake8 fixture marks the line it expects a finding on."""
    for number, line in enumerate(pair.v2.read_text(encoding="utf-8").splitlines(), 1):
        found = _ENDS_AT.search(line)
        if found and int(found.group(1)) == index:
            return f"{V2}/{pair.name}.py:{number}"
    return None


def _tracebacks(app_log: str) -> dict[tuple[str, int], set[str]]:
    """(pair module, journal index) -> the corpus lines the SDK's tracebacks end in (app log)."""
    out: dict[tuple[str, int], set[str]] = {}
    for block in _SDK_BLOCK.findall(app_log):
        mismatch = parse_message(block)
        frames = [f for f in mismatch.frames if "/replay/corpus/v2/" in f.path]
        if frames and mismatch.command_index is not None:
            frame = frames[-1]
            rel = os.path.relpath(frame.path, ROOT)
            out.setdefault((Path(frame.path).stem, mismatch.command_index), set()).add(f"{rel}:{frame.line}")
    return out


@pytest.fixture(scope="module")
def corpus() -> Iterator[tuple[list[Row], dict[str, Any]]]:
    pairs = load_pairs()
    quick, sleeping = plan(pairs)
    verdicts = _rea_diff()
    rows: list[Row] = []
    facts: dict[str, Any] = {}
    with Corpus(pairs) as run:
        run.park_all(quick)
        run.park_all(sleeping)  # last: their sleeps must not fire before the swap
        run.swap()
        run.resume_all()
        log = run.server.log_tail(10_000_000)
        for inv in run.invocations:
            d = verdicts[(inv.pair.service, inv.pair.handler)]
            diff_index = None
            undecodable = bool((d.get("divergence") or {}).get("undecodable"))
            if inv.pair.nondeterministic:
                # no code change: rea diff must say compatible whatever the server does; the
                # 570 is nondeterminism, which rea explain must attribute to a finding
                ok = d["verdict"] == "compatible"
                verdict, breaks = f"{d['verdict']} (no code change)", (inv.outcome == "570") if ok else None
            elif inv.pair.computed:
                # rea cannot tell the bytes: it must not say compatible, whatever the server does
                ok = d["verdict"] == "unknown"
                why = ("the input may not decode" if d["reason"].startswith("the handler's input") else
                       "a call's result may not decode" if "the called handler returned" in d["reason"] else
                       "a stored value may not decode" if "cannot decode" in d["reason"] else
                       "a model its field may hold writes other keys" if "may hold" in d["reason"] else "computation changed")
                verdict, breaks = f"{d['verdict']} ({why})", (inv.outcome in ("570", *UNDECODABLE)) if ok else None
                undecodable = ok and inv.outcome in UNDECODABLE and "cannot decode" in d["reason"]
            elif d["verdict"] == "compatible":
                verdict, breaks = "compatible", False
            elif d["verdict"] == "breaking" and d.get("divergence"):
                index = d["divergence"]["index"]
                earlier = (d["divergence"]["may_break_earlier"] or {}).get("index")
                if not d["divergence"]["assuming"]:
                    diff_index = index
                breaks = index < inv.commands_at_swap
                verdict = f"breaking at index {index}" + ("" if breaks else " (after this journal)")
                if earlier is not None and not breaks and earlier < inv.commands_at_swap:
                    # (past a value rea diff could not compare: it may break there, or go on)
                    breaks = inv.outcome in ("570", *UNDECODABLE)
                    verdict = f"breaking at index {index}, maybe from index {earlier}"
            else:
                verdict, breaks = f"{d['verdict']}: {d.get('reason')}", None
            index = from_log = from_id = alone = None
            if inv.outcome == "570":
                index = parse_message(inv.failure).command_index
                block = _server_log_block(log, inv.id)
                assert block is not None, f"{inv.pair.name}: no server log record for {inv.id}"
                v2, v1 = _sides(inv.pair)
                _, from_log, err = _explain([v2, "--since", v1, "--format", "json", "--message", block])
                assert from_log is not None, err
                _, from_id, err = _explain_id([v2, "--since", v1, "--format", "json", "--invocation-id", inv.id,
                                               "--admin-url", run.server.admin_url])
                assert from_id is not None, err
                if "is written as" in (d.get("reason") or ""):
                    _, alone, err = _explain_id([v2, "--format", "json", "--invocation-id", inv.id, "--admin-url", run.server.admin_url])
                    assert alone is not None, err
            truth = None
            if inv.outcome == "undecodable":
                # no 570: rea explain reads the decoder's failure (the text Restate keeps, and the
                # invocation), whose traceback names the line that decoded it: the truth
                v2, v1 = _sides(inv.pair)
                _, from_log, err = _explain([v2, "--since", v1, "--format", "json", "--message", inv.failure])
                assert from_log is not None, err
                _, from_id, err = _explain_id([v2, "--since", v1, "--format", "json", "--invocation-id", inv.id,
                                               "--admin-url", run.server.admin_url])
                assert from_id is not None, err
                frames = [f for f in parse_undecodable(inv.failure).frames if "/replay/corpus/v2/" in f.path]  # type: ignore[union-attr]
                truth = f"{os.path.relpath(frames[-1].path, ROOT)}:{frames[-1].line}" if frames else None
            rows.append(Row(inv, index, verdict, breaks, diff_index, undecodable, from_log, from_id, truth,
                            alone if inv.outcome == "570" and "is written as" in (d.get("reason") or "") else None))
        done = next(i for i in run.invocations if i.outcome == "completed")
        facts["malformed_id"] = _explain([V2, "--invocation-id", "inv_1aBcDeFgHiJkLmNoPqRsTuVwXyZ0", "--admin-url", run.server.admin_url])
        # a well-formed id this server never issued (another server's, from tests/replay/samples)
        facts["unknown_id"] = _explain([V2, "--invocation-id", UNKNOWN_ID, "--admin-url", run.server.admin_url])
        facts["completed_id"] = _explain([V2, "--invocation-id", done.id, "--admin-url", run.server.admin_url])
        run.kill_unfinished()
        app_log = run.app.log_tail(50_000_000)
        facts.update(swap_seconds=run.swap_seconds, app_log=app_log, server_log=log)
    truths = _tracebacks(app_log)
    # (a 570 at index 1 that the handler's own code attempted has a traceback: not an input the SDK could not parse)
    inputs = _input_lines(app_log, {r.inv.pair.name for r in rows if r.index == 1 and not truths.get((r.inv.pair.name, 1))})
    for row in rows:
        if row.index is not None:
            lines = truths.get((row.inv.pair.name, row.index), set())
            row.truth = (", ".join(sorted(lines)) or (inputs.get(row.inv.pair.name) if row.index == 1 else None)
                         or _declared_end(row.inv.pair, row.index))
    facts["input_pairs"] = set(inputs)
    yield rows, facts


def _terminal_messages(pair: Pair) -> set[str]:
    """The messages of the `TerminalError`s the pair's new code raises (`raise TerminalError("...")`):
    a failure with one of them is the new code's own answer, not the server's mismatch."""
    return {
        node.exc.args[0].value
        for node in ast.walk(ast.parse(pair.v2.read_text()))
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name)
        and node.exc.func.id == "TerminalError" and node.exc.args and isinstance(node.exc.args[0], ast.Constant)
    }


def _line(data: dict[str, Any] | None) -> str:
    if data is None:
        return ""
    return data["line"] or f"cannot tell: {data['undecided']}"


def table(rows: list[Row]) -> str:
    rows = sorted(rows, key=lambda r: (r.inv.pair.name, r.inv.park.number))
    failed = sum(r.inv.outcome == "570" for r in rows)
    stuck = sum(r.inv.outcome == "undecodable" for r in rows)
    ended = sum(r.ended for r in rows)
    agreed = sum(_agrees(r) for r in rows)
    out = [
        f"{len({r.inv.pair.name for r in rows})} change pairs, {len(rows)} invocations: {len(rows) - failed - stuck - ended} completed, "
        f"{ended} ended by the new code's own `TerminalError`, "
        f"{failed} failed with 570, {stuck} retried for good on a recorded result they could not decode; "
        f"rea diff and rea explain agree with the server on {agreed} of {len(rows)}.",
        "",
        "| pair | parked at (v1) | recorded commands | server outcome | rea diff (this invocation) | rea explain (server log text) | rea explain (invocation id) | cause named | agree |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        inv = r.inv
        outcome = (f"570 at index {r.index}" if r.index is not None
                   else "retried for good: a recorded result does not decode" if inv.outcome == "undecodable" else inv.outcome)
        agree = _agrees(r)
        out.append(
            f"| {inv.pair.name} | {inv.park.kind}, line {inv.park.line} | {inv.commands_at_swap} | {outcome} | {r.diff} "
            f"| {_line(r.from_log)} | {_line(r.from_id)} | {_cause(r.from_id)} | {'yes' if agree else '**no**'} |"
        )
    return "\n".join(out) + "\n"


def _cause(data: dict[str, Any] | None) -> str:
    if data is None:
        return ""
    if data.get("kind") == "undecodable":
        return f"code change (rea diff: {data['diff_verdict']}, decoding)" if data["cause_decided"] else "cannot tell"
    if data["findings"]:
        first = data["findings"][0]
        return f"{first['code']} at line {first['line']}"
    if data["diff_verdict"] == "breaking":
        return f"code change (rea diff: index {data['diff_index']})"
    return "cannot tell" if not data["cause_decided"] else data["cause"][:60]


def _agrees(r: Row) -> bool:
    if r.diff_breaks is None or r.diff_breaks != r.server_breaks:
        return False
    if r.inv.pair.exact and r.server_breaks and r.diff_index != r.index:
        return False
    if r.server_breaks and r.diff_undecodable != r.undecodable:
        return False
    if r.undecodable:  # (no 570: rea explain reads the decoder's failure, and names the change)
        return (bool(r.truth) and _line(r.from_log) == _line(r.from_id) == r.truth
                and all(d is not None and d["kind"] == "undecodable" and d["cause_decided"] for d in (r.from_log, r.from_id)))
    if r.server_breaks:
        return (bool(r.truth) and _line(r.from_log) == _line(r.from_id) == r.truth
                and all(_blames(r, d) for d in (r.from_log, r.from_id)))
    return True


def _blames(r: Row, data: dict[str, Any] | None) -> bool:
    """The cause rea explain names: the code change, or (nondeterministic pairs) a finding."""
    if data is None or not data["cause_decided"]:
        return False
    if r.inv.pair.nondeterministic:
        return data["diff_verdict"] == "compatible" and any(f["code"].startswith("REA1") for f in data["findings"])
    if r.inv.pair.computed:
        return "rea diff says unknown" in data["cause"]
    return "rea diff says breaking" in data["cause"]


def test_every_pair_ran_to_an_outcome(corpus):
    rows, facts = corpus
    pairs = {r.inv.pair.name for r in rows}
    assert len(pairs) == len(load_pairs()) >= MIN_PAIRS
    assert len(rows) == sum(len(p.parks) for p in load_pairs())
    kinds = {r.inv.pair.kind for r in rows}
    assert kinds == {"Service", "VirtualObject", "Workflow"}
    assert {r.inv.park.kind for r in rows} == {"awakeable", "promise", "sleep", "run"}
    assert any(r.inv.pair.nondeterministic and r.server_breaks for r in rows)
    # a computed pair's change breaks some invocation: `compatible` would have been wrong there
    computed = {r.inv.pair.name for r in rows if r.inv.pair.computed}
    assert computed and all(any(r.server_breaks for r in rows if r.inv.pair.name == name) for name in computed)
    odd = [f"{r.inv.pair.name}@{r.inv.park.kind}: {r.inv.outcome}" for r in rows
           if r.inv.outcome not in ("completed", "570", *UNDECODABLE) and not r.ended]
    assert not odd, odd
    # every outcome occurs, so agreement is not trivially one-sided
    assert {ENDED if r.ended else r.inv.outcome for r in rows} == {"completed", ENDED, "570", *UNDECODABLE}


def test_rea_diff_agrees_with_the_server(corpus):
    rows, _ = corpus
    wrong = [f"{r.inv.pair.name} parked at {r.inv.park.kind} (line {r.inv.park.line}): server {r.inv.outcome}, rea diff {r.diff}"
             for r in rows if r.diff_breaks is None or r.diff_breaks != r.server_breaks]
    assert not wrong, "\n".join(wrong)


def test_a_result_that_no_longer_decodes_is_the_break_rea_diff_names(corpus):
    """An invocation the server retries for good on a recorded result it cannot decode is one rea
    diff breaks for that reason, and a 570 is never put down to one: the two need different fixes
    (a default for the new field; the old deployment kept until its invocations drain)."""
    rows, facts = corpus
    stuck = [r for r in rows if r.inv.outcome == "undecodable"]
    unexplained = [f"{r.inv.pair.name}: SDK {r.truth}; from the failure {_line(r.from_log)}; from the id {_line(r.from_id)}"
                   for r in stuck if not _agrees(r)]
    assert not unexplained, "\n".join(unexplained)
    assert {r.inv.pair.name for r in stuck} == {"p89_run_result_model_required_field", "p90_state_model_required_field",
                                                 "p92_run_result_dataclass_required_field", "p94_run_result_nested_model_required_field",
                                                 "p95_call_result_model_required_field", "p96_run_result_field_type_changed",
                                                 "p97_run_result_dataclass_field_type_changed", "p126_run_result_list_item_required_field"}
    # a recorded input that no longer decodes: 570 at index 1, at the handler's input parameter
    assert facts["input_pairs"] == {"p93_input_model_required_field"}
    wrong = [f"{r.inv.pair.name}@park{r.inv.park.number}: server {r.inv.outcome}, rea diff {r.diff} (undecodable: {r.diff_undecodable})"
             for r in rows if r.server_breaks and r.diff_undecodable != r.undecodable]
    assert not wrong, "\n".join(wrong)
    # the same change with a default for the new field completes, and rea diff calls it compatible
    control = [r for r in rows if r.inv.pair.name == "p91_state_model_defaulted_field"]
    assert control and all(r.inv.outcome == "completed" and r.diff == "compatible" for r in control)


def test_an_exact_pair_breaks_at_the_index_rea_diff_names(corpus):
    """Where every invocation that breaks breaks at one index (`Pair.exact`), rea diff names
    that index, on no condition: the server's 570 says which it is."""
    rows, _ = corpus
    exact = [r for r in rows if r.inv.pair.exact and r.server_breaks]
    assert exact
    wrong = [f"{r.inv.pair.name} parked at {r.inv.park.kind} (line {r.inv.park.line}): server index {r.index}, rea diff {r.diff}"
             for r in exact if r.diff_index != r.index]
    assert not wrong, "\n".join(wrong)


def test_rea_explain_names_the_line_the_sdk_failed_at(corpus):
    rows, _ = corpus
    failed = [r for r in rows if r.inv.outcome == "570"]
    assert failed
    wrong = []
    for r in failed:
        assert r.truth, f"{r.inv.pair.name}: no SDK traceback for index {r.index} in the app log"
        if r.truth == _declared_end(r.inv.pair, r.index):  # (no traceback: the handler's output)
            assert all(d is not None and d["attempted"] == "output" and d["ends"] for d in (r.from_log, r.from_id)), r.inv.pair.name
        if not (_line(r.from_log) == _line(r.from_id) == r.truth):
            wrong.append(f"{r.inv.pair.name}: SDK {r.truth}; from log {_line(r.from_log)}; from id {_line(r.from_id)}")
        for data in (r.from_log, r.from_id):
            assert data["index"] == r.index and data["service"] == r.inv.pair.service
            assert data["truncated"] is None, f"{r.inv.pair.name}: a whole message called cut: {data['truncated']}"
            assert data["several"] is None, f"{r.inv.pair.name}: one record read as several: {data['several']}"
            if not _blames(r, data):
                wrong.append(f"{r.inv.pair.name}: cause {data['cause']!r}")
    assert not wrong, "\n".join(wrong)


def test_doc_publishes_the_current_table(corpus):
    rows, _ = corpus
    current = table(rows)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert START in text and END in text, f"{DOC} has no {START} ... {END} section"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    updated = f"{head}{START}\n{current}{END}{tail}"
    if os.environ.get("REA_UPDATE_DOCS") and updated != text:
        DOC.write_text(updated, encoding="utf-8")
        text = updated
    assert updated == text, "the agreement table in docs/replay-compatibility.md is stale: run with REA_UPDATE_DOCS=1"


def test_an_unknown_or_unfailed_invocation_is_bad_input(corpus):
    _, facts = corpus
    code, data, err = facts["unknown_id"]
    assert code == 2 and data is None and f"no invocation {UNKNOWN_ID}" in err and err.count("\n") == 1
    code, data, err = facts["malformed_id"]
    assert code == 2 and data is None and "cannot decode that invocation id" in err and err.count("\n") == 1
    code, data, err = facts["completed_id"]
    assert code == 2 and "has no failure recorded (status: completed)" in err and err.count("\n") == 1


def test_the_sdk_log_of_every_failure_parses(corpus):
    _, facts = corpus
    blocks = _SDK_BLOCK.findall(facts["app_log"])
    assert blocks
    for block in blocks:
        m = parse_message(block)
        assert m.command_index is not None and m.recorded and m.attempted
        # (the SDK ending an invocation whose input it cannot decode runs none of its code, and
        # the output of a handler that has returned is written after its code: `_declared_end`)
        assert (any("/replay/corpus/v2/" in f.path for f in m.frames) or _INPUT_UNPARSED.search(block)
                or m.attempted == "output"), block


def test_without_since_a_class_that_writes_other_keys_is_named_from_the_invocation(corpus):
    """The 570s of the pairs whose class now writes other keys (or, p106, another default of a
    field the code leaves out; p107, a promise's completion; p121, p122, an awakeable's and a
    signal's result; p123-p125, a model held in a list or an Optional field of the value; p132,
    p133, a copy and a validated instance; p137, a computed field added; p144, a class with a
    `model_validator(mode="after")`): `rea explain
    --invocation-id`, without --since, reads the two values from the server and names the class
    as the cause. Where the class writes the same keys and its code changed (p134-p136: a
    validator, a field's type, a serializer; p140, the input's default), or rea cannot read the
    keys the current class writes (p139, a `model_serializer`), the two values differ as
    nondeterminism's would: without --since it does not guess, and asks for the revision."""
    rows, _ = corpus
    same_keys = {"p134_input_field_validator_changed", "p135_input_field_type_changed", "p136_field_serializer_changed",
                 "p139_model_serializer_added", "p140_input_default_changed_stored"}
    unguessed = [r for r in rows if r.alone is not None and r.inv.pair.name in same_keys]
    assert {r.inv.pair.name for r in unguessed} == same_keys
    assert all(not r.alone["cause_decided"] and "pass --since REV" in r.alone["cause"] for r in unguessed), [r.alone for r in unguessed]
    named = [r for r in rows if r.alone is not None and r.inv.pair.name not in same_keys]
    assert {r.inv.pair.name for r in named} == {
        "p99_input_model_forwarded_field_added", "p100_run_result_model_stored_field_added",
        "p101_run_result_dataclass_stored_field_added", "p103_input_model_fields_reordered_sent",
        "p104_workflow_input_dump_stored", "p105_state_model_or_new_stored_back", "p106_made_model_default_changed",
        "p107_promise_resolved_with_model_field_added", "p108_state_model_sdk_serde_field_added",
        "p121_awakeable_resolved_with_model_field_added", "p122_signal_resolved_with_model_field_added",
        "p123_stored_model_list_item_field_added", "p124_forwarded_optional_nested_model_field_added",
        "p125_stored_model_empty_list_item_field_added", "p132_input_model_copy_field_added", "p133_model_validate_field_added",
        "p137_computed_field_added", "p144_after_validator_input_stored_field_added"}
    cause = {r.inv.pair.name: "changed that default" if r.inv.pair.name.startswith("p106_") else "the class whose keys" for r in named}
    wrong = [f"{r.inv.pair.name}: line {r.alone['line']} (SDK {r.truth}); cause {r.alone['cause']!r}" for r in named
             if not (r.alone["cause_decided"] and cause[r.inv.pair.name] in r.alone["cause"] and r.alone["line"] == r.truth)]
    assert not wrong, "\n".join(wrong)
