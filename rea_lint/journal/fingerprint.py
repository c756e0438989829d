"""Fingerprints: the computation behind a value, so two revisions can be compared by it.

The protocol compares values (a call's parameter bytes, a state value, a key computed at
run time). Source cannot say what bytes a value serializes to, but it can say how the value
is computed: the expression, with each local name replaced by the expressions assigned to it
that may reach the use (those above it, and below it in a loop around both; the one just above
it, run right before it every time, as that expression itself), parameters by their position
(and, where one holding a decoded model is used whole, `str(order)`, by its class's code too:
replay decodes it again with the new class), plain class attributes that hold a literal by that
literal, module constants by their value, module functions and classes by their code and the code
of the project's functions they call (`code_reach`), imported names by their module's own name and
theirs, and a result the journal replays by what recorded it (a run by its name, a call by the handler
called), whatever type it is decoded to. Handler code is deterministic (the catalog's rules see
to that) and replays the same input and the same recorded results, so the same computation
gives the same bytes. Names are replaced by what they hold, so renaming a variable changes
nothing; changing `n + 1` to `n + 2`, or what `n` is assigned, changes the fingerprint. So does
changing how a local or parameter is mutated in place (`items.append(x)`, `d[k] = v`,
`del d[k]`, through a loop variable over it too): the value a `ctx.set` serializes is what the
name holds then: the mutations that may have run before the use count. A call is taken not
to change its arguments.

A condition is also read as a pure function of the journal entries it reads (`anchored`): that
decides it wherever a recorded journal decided the same function of the same entries, though
two fingerprints differ (a result read once before a loop, or again at each test).
"""

from __future__ import annotations

import ast
import copy
import hashlib
from collections import Counter
from functools import partial
from typing import Any, Callable, Iterable, Mapping, Union

from rea_lint.journal.changed_lines import Trail
from rea_lint.journal.code_names import CODE_READ, label_of, name_digest, register
from rea_lint.model import Function, Model
from rea_lint.rules.base import memo

__all__ = ["Defaulted", "Definition", "Fingerprinter", "Imported", "Passed", "class_constant", "code_digest", "code_reach", "default_of", "method_code", "module_binding", "module_changes", "module_mutations",
           "module_constant"]

_MAX_DEPTH = 40
_MIRRORED = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq,
             ast.Is: ast.Is, ast.IsNot: ast.IsNot}
"""A comparison's operator with its operands swapped (`a < b` is `b > a`)."""
_LONG = 1024
"""A rendering longer than this is kept as its digest (`Fingerprinter._render`)."""
_LITERAL_TYPES = (str, bytes, int, float, bool)
"""What a module constant may hold to be read as the literal it is (`BALANCE = "balance"`)."""
_DECODING = frozenset({"type_hint", "serde"})
"""Keywords of context methods that only say how a journaled result is decoded."""


_PURE_NODES = (ast.expr, ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop, ast.keyword)
"""What an anchored condition may be made of (`Fingerprinter.anchored`); the expressions below refused there."""
_OWN_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.Yield, ast.YieldFrom)
_PURE_METHODS = frozenset({
    "get", "keys", "values", "items", "copy", "count", "index", "find", "rfind", "startswith", "endswith", "lower", "upper",
    "casefold", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "replace", "join", "format", "encode", "decode",
    "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "islower", "isupper", "model_dump", "dict",
    "isoformat", "date", "total_seconds",
})
"""Methods that compute from the data they are called on (a `str`'s, a `dict`'s, a model's), and change nothing."""
_PURE_BUILTINS = frozenset({"len", "isinstance", "issubclass", "str", "int", "float", "bool", "abs", "min", "max", "sum", "round",
                            "sorted", "tuple", "list", "set", "frozenset", "dict", "repr", "divmod", "hash"})


class _Unanchored(Exception):
    """A condition's value is not pinned by its text and the journal entries it reads (`Fingerprinter.anchored`)."""


class Passed(str):
    """What a caller passes a helper's parameter: its computation as text (`Fingerprinter.passed`),
    the literal it always is, if one (`helper(ctx, "balance")`), and the class whose whole instance
    it is, if rea is sure of one (the handler's input passed on: `journal.encoding`), with whether
    it is never None."""

    __slots__ = ("constant", "instance", "frame")
    constant: ast.Constant | None
    instance: "tuple[Any, ...] | None"
    frame: "_Frame | None"
    """The statements of the caller's code the argument's computation read (`changed_lines`)."""

    def __new__(cls, rendered: str, constant: ast.Constant | None, instance: "tuple[Any, ...] | None" = None,
                frame: "_Frame | None" = None) -> "Passed":
        made = super().__new__(cls, rendered)
        made.constant = constant
        made.instance = instance
        made.frame = frame
        return made


class Defaulted(Passed):
    """A helper's parameter the call does not pass (`keep(ctx)` for `def keep(ctx, v=1)`): it
    holds its default, which reads as rendered where the helper is (`Fingerprinter._held`), and
    is the literal it is, if it is one (`key="a"`)."""

    __slots__ = ()

    def __new__(cls, constant: ast.Constant | None) -> "Defaulted":
        return super().__new__(cls, "\0default", constant)  # type: ignore[return-value]


_NEGATED_OPS = {ast.IsNot: ast.Is, ast.NotIn: ast.In, ast.NotEq: ast.Eq}
"""A comparison that is the negation of another (`x is not y` is `not x is y`, as Python defines
it; `!=` of `==`, as every class that does not define both otherwise)."""


def positive_test(test: ast.expr) -> tuple[ast.expr, bool]:
    """A condition as the test it negates, if it does (`not x`, `x is not None`, `k not in d`,
    `a != b`), and whether it does: two revisions that spell one test two ways decide alike."""
    negated = False
    while True:
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, negated = test.operand, not negated
        elif isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _NEGATED_OPS:
            # (a node of its own, in the place of the one it stands for: only fingerprinted and anchored)
            test = ast.copy_location(ast.Compare(test.left, [_NEGATED_OPS[type(test.ops[0])]()], test.comparators), test)
            negated = not negated
        else:
            return test, negated


class Fingerprinter:
    """Fingerprints of expressions inside one function of one module."""

    def __init__(
        self,
        model: Model,
        function: Function,
        env: Mapping[str, str] | None = None,
        contexts: Iterable[str] | None = None,
        handler_of: Callable[[ast.Call], tuple[ast.expr, str] | None] | None = None,
        imported: Callable[[str], str] | None = None,
        imported_constant: Callable[[str], ast.Constant | None] | None = None,
        run_named: Callable[[ast.Call], ast.expr | None] | None = None,
        imported_code: Callable[[str], str | None] | None = None,
        definition_of: Imported | None = None,
        path: str = "",
        attribute_code: Callable[[ast.expr, str], tuple[str, str] | None] | None = None,
        instance_attribute: Callable[[str, str], tuple[str, str] | None] | None = None,
        instance_code: Callable[[str], str | None] | None = None,
        chain_code: Callable[[str, tuple[str, ...]], tuple[str, str] | None] | None = None,
    ) -> None:
        self.m = model
        self.fn = function
        self.path = path
        """The module's file, to name its functions whose code a computation reads (`code_names`)."""
        self.attribute_code = attribute_code
        """(a parameter's annotation, an attribute) -> the digest of the code the attribute of the
        annotated project class reads as: a method or property's own (`order.total()` computes
        with `Order.total`'s code), or what decides a field's value (`class_code.field_code`);
        with the code of the classes the field holds, and without (the two are one for a method)."""
        self.instance_attribute = instance_attribute
        """(a local, an attribute) -> as `attribute_code`, for the project class whose instance the
        local holds (bound once to a run's result, a constructor...), else None."""
        self.instance_code = instance_code
        """A parameter or local -> the digest of the whole code (`class_code.whole_code`) of the
        project class whose instance it holds, decoded from the journal (the handler's input, a
        run's result...), else None. A value used whole (`str(order)`, `[i.model_dump() for i in
        cart.items]` through the field, `json.dumps(order.model_dump())`) is what that code
        decodes and writes, where a field read counts by that field's code (`_attribute`)."""
        self.chain_code = chain_code
        """(a parameter or local, the attributes read through it) -> as `attribute_code`, for the last
        attribute of `order.address.city`, in the class each field before it holds (`Address`), with
        what decides those fields' own values; None where a field before it may hold another class
        or none (`Optional[Address]`, `list[Item]`): then the first field counts whole."""
        self.contexts = frozenset(contexts) if contexts is not None else frozenset(function.contexts)
        self.env = dict(env or {})
        """Parameter name -> how the caller computes the argument (`passed`): a helper's
        parameter reads as what its caller passed, so moving code into a helper that takes the
        same values changes no fingerprint."""
        self.handler_of = handler_of
        """A context call -> the handler reference it passes and `service/handler` for it, as
        Restate knows them, or None: a call's result is fixed by the handler called, not by
        how the code names it."""
        self.imported = imported
        """An imported name's qualified name -> how it is named here, the same however it is
        imported (its module's own name and the name in it), so that a module that became part
        of a package (`from utils import X` -> `from app.utils import X`) changes nothing."""
        self.imported_constant = imported_constant
        """An imported name's qualified name -> the literal it always holds, if it is a
        constant of a project module (`from keys import BALANCE`), else None."""
        self.run_named = run_named
        """A call that hands the context to a helper -> the argument that names the run whose
        result the helper returns (`await traced_run(ctx, "fetch", f)`), else None: its result
        is that run's, replayed from the journal, as a direct `ctx.run`'s is."""
        self.imported_code = imported_code
        """An imported name's qualified name -> its code as `_reach` writes it (`D(digest)` for it
        and each helper it calls), if it is a function of a project module (`from util import
        compute`), else None: a change to its body may change what it computes, as one of this
        module's own functions does."""
        self.definition_of = definition_of
        """(a qualified name an import gives, the importing file) -> the project's function or class
        it denotes (`code_reach`: the helpers a module function calls, in other modules too)."""
        self._reaches: dict[int, str] = {}
        """id of a definition -> `_reach` it."""
        self._assigned: dict[str, list[str]] | None = None
        self._mutated: dict[str, list[ast.stmt]] = {}
        self._test_at: tuple[int, int] | None = None
        """Where the test `anchored` reads is (None: outside it)."""
        self._declared: frozenset[str] = frozenset()
        """The names this function declares `global` or `nonlocal` (bound elsewhere too; read by
        the walk `assignments` makes)."""
        self._at: dict[str, list[tuple[int, int]]] = {}
        """Local name -> where each of its assignments (`assignments`) takes effect."""
        self._loops: list[tuple[tuple[int, int], tuple[int, int]]] = []
        self._plain: dict[int, tuple[list[ast.stmt], int, tuple[int, int], ast.expr]] = {}
        """id of what a plain `name = value` or `name += value` assigns (in `assignments`) ->
        its block, its index there, its end, and the expression it may be read as (`_inlined`)."""
        self._positions = _param_positions(function)
        self._names: dict[tuple[str, int, frozenset[str], tuple[int, int] | None, _Reading, bool], tuple[str, _Frame]] = {}
        """What `_name` rendered (see there), with the statements it read."""
        self._frames: list[_Frame] = []
        """The statements read by each rendering under way, innermost last (`changed_lines`)."""
        self._guards: dict[int, tuple[ast.AST, ...]] = {}
        """id of a statement that runs only where some tests say so -> those tests (`_guards`)."""
        self._local_classes: dict[str, ast.ClassDef] = {}
        """The classes this function defines in its own code, by name (`assignments` fills it)."""
        self._tests: dict[int, tuple[str, _Frame]] = {}
        """id of a test -> `_test`'s rendering of it, with the statements it read."""
        self._guard_texts: dict[int, str] = {}
        """id of a statement -> its tests by their text (`_guarded`, inside a test)."""
        self._statements: dict[int, ast.AST] = {}
        """id of a value `assignments` lists -> the statement that binds it (where a reason names it)."""
        self._attributes: dict[tuple[str, str], tuple[str, str] | None] = {}
        """(parameter or local, attribute) -> `_attribute`'s answer."""
        self._wholes: dict[str, str] = {}
        """Parameter or local -> what `_whole` appends to it."""
        self._chains: dict[tuple[str, tuple[str, ...]], tuple[str, str] | None] = {}
        """(parameter or local, attributes) -> `_chained`'s code."""
        self._classed: set[str] = set()
        """The digests a fingerprint holds only where classes count (`with_and_without_classes`):
        an instance's whole code, and a field's code with that of the classes it holds."""
        self._classes = True
        """Whether an instance used whole counts its class's code here (`of`)."""

    def of(self, node: ast.AST | None) -> str:
        return self.traced(node)[0]

    def of_test(self, node: ast.AST) -> str:
        """`of` a condition: a bare name tested (`if state:`) is tested for being there, which no
        class's code decides (`_tests_presence`)."""
        if not isinstance(node, ast.Name):
            return self.of(node)
        return self.traced(node, ("present", ""))[0]

    def traced(self, node: ast.AST | None, reading: _Reading = None) -> tuple[str, Trail]:
        """`of` ``node``, and the statements of this function (and of its callers, through what
        they pass it) its computation read: a compared field's trail (`changed_lines`)."""
        if node is None:
            return "None", Trail()
        text, frame = self._framed(self._render, node, 0, frozenset(), reading)
        self._merge(frame)  # (a fingerprint inside a rendering under way: the parent reads these too)
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16] + _code_read(text), frame[1]

    def with_and_without_classes(self, node: ast.AST, found: str | None = None) -> tuple[str, str]:
        """``node``'s fingerprint (`of`; ``found``, if it is known), and the one in which an instance
        used whole does not count its class's code (`instance_code`), nor a field read the classes
        the field holds: for a value whose class `journal.encoding` compares itself, keys and code.
        Rendered again only where the first holds such code (`_classed`)."""
        if found is None:
            found = self.of(node)
        if not self._classed or not any(d in self._classed for d in CODE_READ.findall(found)):
            return found, found
        self._classes = False
        try:
            return found, self.of(node)
        finally:
            self._classes = True

    def passed(self, node: ast.expr, instance: "tuple[Any, ...] | None") -> Passed:
        """What passing ``node`` to a helper's parameter gives it (`Passed`): its rendering, the
        literal it is, and the statements here its computation read."""
        text, frame = self._framed(self._render, node, 0, frozenset())
        return Passed(text, self.constant(node), instance, frame if frame[1] else None)

    def _framed(self, render: Callable[..., str], *args: Any) -> tuple[str, "_Frame"]:
        """``render(*args)`` with a frame of its own on the stack: the rendering, and the
        statements it read (`changed_lines`)."""
        frame: _Frame = ([], Trail())
        self._frames.append(frame)
        try:
            return render(*args), frame
        finally:
            self._frames.pop()

    def _merge(self, frame: "_Frame | None") -> None:
        """What ``frame``'s rendering read is read by the rendering under way too."""
        if frame is not None and frame[1] and self._frames:  # (a part adds to the trail: an empty one read none)
            parent = self._frames[-1]
            parent[0].extend(frame[0])
            parent[1].add(frame[1])

    def _part(self, node: ast.AST, statement: ast.AST, depth: int, stack: frozenset[str], reading: _Reading = None) -> str:
        """`_render` the value a statement of this function binds or the mutation it makes, and note
        the statement in the trail of the rendering under way (`changed_lines`): by a digest of
        its rendering with the statements it reads in turn left out, so a line is named as
        changed for what it computes itself."""
        if not self._frames:
            return self._render(node, depth, stack, reading)
        text, frame = self._framed(self._render_text, node, depth, stack, reading)
        own = text
        for inner in frame[0]:
            own = own.replace(inner, "\u00b7")
        if "D(" in own:  # (a helper or class whose code changed is named by `code_names`, not as this line)
            own = CODE_READ.sub("", own)
        rendered = _compact(text)
        parent = self._frames[-1]
        parent[0].append(rendered)
        parent[1].add(frame[1])
        parent[1].note(hashlib.sha1(own.encode("utf-8", "surrogatepass")).hexdigest()[:16], (self.path, statement))
        return rendered

    def constant(self, node: ast.expr) -> ast.Constant | None:
        """The literal ``node`` always holds here: itself, or a name no local, parameter or
        enclosing function binds that names a module constant, of this module or imported
        from a project module (`BALANCE`, `keys.BALANCE`: a key or a run name moved into a
        constant stays the same literal to replay, and to `rea diff`)."""
        if isinstance(node, ast.Constant):
            return node
        if isinstance(node, ast.Name) and node.id in self.env:
            return getattr(self.env[node.id], "constant", None)  # what the caller passed
        head = node
        while isinstance(head, ast.Attribute):
            head = head.value
        if not isinstance(head, ast.Name) or not self._unbound(head.id):
            return None
        qual = self.m.imports.resolve(node) if head.id in self.m.imports.names else None
        if qual is not None:
            return self.imported_constant(qual) if self.imported_constant is not None else None
        if head is node:
            return module_constant(self.m, head.id)
        return class_constant(self.m, head.id, node.attr) if isinstance(node, ast.Attribute) and node.value is head else None

    def anchored(self, node: ast.expr, replayed: Callable[[ast.Call], bool | None], inputs: bool,
                 presence: bool = True) -> tuple[str, tuple[ast.Call, ...]] | None:
        """``node``'s computation as a pure function of the journal entries it reads: its text
        with each result the journal replays as a slot `J0`, `J1`, ... (`await ctx.run("s", f)`,
        read in place or through a local), and the calls the slots are. ``replayed`` says of a
        call: True, a replayed result; False, one that journals or uses the context otherwise;
        None, neither. Two conditions with the same text whose slots are the same journal
        entries compute the same value, whatever else differs: `while await ctx.run("s", f) ==
        P` and `s = await ctx.run("s", f)` then `while s == P` read entry 2 alike at the first
        test (their fingerprints differ: the second reads that entry at every test, the first a
        new one each time).

        None unless every part of it is data the text pins: a slot; a literal, a module
        constant, a class, or a capitalized name or attribute imported (`Status.PENDING`; not
        `settings.enabled`, which may be set at run time); a local bound once, plainly, outside
        any loop, and never mutated (every read after it reads that one value), as what it is
        bound to; a handler's parameter (``inputs``: the input, journal entry 0; not `self`);
        operators, subscripts and attributes of those; a method that changes nothing called on
        one of them (`r.get("ok")`, `s.lower()`); a builtin that computes from its arguments
        (`len`, `isinstance`, ...). Not a module's mutable object, an enclosing function's
        variable, a helper's argument, a lambda or comprehension, or any other call: a function
        may read the clock or the world, and then one condition over the same entries can go
        both ways (`while s == P and not timed_out()`)."""
        slots: list[ast.Call] = []
        outer, self._test_at = self._test_at, _start(node)
        try:
            if isinstance(node, ast.Name) and presence:  # (`if state:`: whether it is there, `of_test`)
                text = self._anchor_name(node, slots, replayed, inputs, frozenset(), 0, whole=False)
            else:
                text = self._anchor(node, slots, replayed, inputs, frozenset(), 0)
        except _Unanchored:
            return None
        finally:
            self._test_at = outer
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16], tuple(slots)

    def _mutated_before_test(self, name: str) -> bool:
        """Can a mutation of ``name`` (`_mutations`) run before the test `anchored` reads: one
        above it, or in a loop around both? One below it, outside such a loop, changes the value
        only after the test has read it (`if task["status"] == "done": return` then
        `task["status"] = "done"`)."""
        mutations = self._mutated.get(name)
        if not mutations:
            return False
        at = self._test_at
        return at is None or any(_end(s) <= at or self._looped(_start(s), at) for s in mutations)

    def _anchor(self, node: ast.AST, slots: list[ast.Call], replayed: Callable[[ast.Call], bool | None], inputs: bool,
                through: frozenset[str], depth: int) -> str:
        if depth > _MAX_DEPTH or not isinstance(node, _PURE_NODES) or isinstance(node, _OWN_SCOPES):
            raise _Unanchored()
        if isinstance(node, ast.Call):
            kind = replayed(node)
            if kind is False:
                raise _Unanchored()
            if kind:
                for n, slot in enumerate(slots):
                    if slot is node:
                        return f"J{n}"
                slots.append(node)
                return f"J{len(slots) - 1}"
            if not (self._builtin(node.func) or (isinstance(node.func, ast.Attribute) and node.func.attr in _PURE_METHODS
                                                 and self._data(node.func.value))):
                raise _Unanchored()
        if isinstance(node, ast.Name):
            return self._anchor_name(node, slots, replayed, inputs, through, depth)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and not self._unbound(node.value.id):
            code = self._attribute(node.value.id, node.attr)
            if code is not None:  # (`order.amount > 100`: decided by `Order.amount`'s validators too)
                held = self._anchor_name(node.value, slots, replayed, inputs, through, depth + 1, whole=False)
                return f"(Attribute value={held} attr={node.attr!r})D({code})"
        if isinstance(node, (ast.UnaryOp, ast.Compare)) and _tests_presence(node):  # (`order is None`: no class's code decides it)
            operand, test = (node.operand, node.op) if isinstance(node, ast.UnaryOp) else (node.left, node.ops[0])
            if isinstance(operand, ast.Name):
                held = self._anchor_name(operand, slots, replayed, inputs, through, depth + 1, whole=False)
                return f"(Present {held} {type(test).__name__})"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and self._unbound(node.value.id):
            if class_constant(self.m, node.value.id, node.attr) is None and (
                    node.value.id in self.m.module_values or not node.attr[:1].isupper()):
                raise _Unanchored()  # (an attribute of a module's object, or a module's variable: it may change)
            return self._render(node, depth, frozenset())  # (`Status.NEW`, `module.CONSTANT`)
        parts = [type(node).__name__]
        for name, value in ast.iter_fields(node):
            if name in ("ctx", "type_comment"):
                continue
            if isinstance(value, ast.AST):
                parts.append(f"{name}={self._anchor(value, slots, replayed, inputs, through, depth + 1)}")
            elif isinstance(value, list):
                items = ",".join(self._anchor(v, slots, replayed, inputs, through, depth + 1) if isinstance(v, ast.AST) else repr(v)
                                 for v in value)
                parts.append(f"{name}=[{items}]")
            else:
                parts.append(f"{name}={value!r}")
        return "(" + " ".join(parts) + ")"

    def _anchor_name(self, node: ast.Name, slots: list[ast.Call], replayed: Callable[[ast.Call], bool | None], inputs: bool,
                     through: frozenset[str], depth: int, whole: bool = True) -> str:
        """(``whole``: the name is used whole, not through one of its attributes: an instance of a
        decoded model then counts by its class's code, `_whole`.)"""
        name = node.id
        if name in self.contexts or name in through:
            raise _Unanchored()
        if name in self.env:
            constant = getattr(self.env[name], "constant", None)
            if constant is None:
                raise _Unanchored()  # (a helper's argument: which journal entries it read is the caller's)
            return f"C({constant.value!r})"
        assigned = self.assignments()
        if name in self._positions:
            if not inputs or name in ("self", "cls") or name in assigned or self._mutated_before_test(name):
                raise _Unanchored()
            return f"P{self._positions[name]}" + (self._whole(name, None) if whole else "")
        if name in assigned:
            values = assigned[name]
            value = values[0] if len(values) == 1 else None
            where = self._plain.get(id(value)) if isinstance(value, ast.AST) else None
            if where is None or self._mutated_before_test(name) or name in self._declared \
                    or any(start <= where[2] <= end for start, end in self._loops):
                raise _Unanchored()  # (bound once, plainly, outside any loop: every read after it reads that one value)
            return self._anchor(where[3], slots, replayed, inputs, through | {name}, depth + 1) + (self._whole(name, None) if whole else "")
        if not self._unbound(name) or (name in self.m.module_values and module_constant(self.m, name) is None):
            raise _Unanchored()  # (an enclosing function's variable; a module's object, which may change)
        qual = self.m.imports.names.get(name)
        if qual is not None and not name[:1].isupper() and (self.imported_constant is None or self.imported_constant(qual) is None):
            raise _Unanchored()  # (an imported variable; a class or a CONSTANT, by its name, does not change)
        return self._render(node, depth, frozenset())

    def _builtin(self, func: ast.expr) -> bool:
        """Is ``func`` a builtin that computes from its arguments alone (`len`, not shadowed)?"""
        return (isinstance(func, ast.Name) and func.id in _PURE_BUILTINS and self._unbound(func.id)
                and func.id not in self.m.module_names and func.id not in self.m.imports.names)

    def _data(self, node: ast.expr) -> bool:
        """Is ``node`` a value the function computed (a method called on it computes from it),
        not a module, class or object of a module's (whose methods may read the world)?"""
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Await, ast.Call)):
            node = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Name):
            return not self._unbound(node.id)
        return isinstance(node, (ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.BinOp))

    def _unbound(self, name: str) -> bool:
        """No parameter, local or enclosing function binds ``name`` here."""
        if name in self.env or name in self.contexts or name in self._positions or name in self.assignments():
            return False
        scope = self.fn.parent
        while scope is not None:
            if name in scope.local_names:
                return False
            scope = scope.parent
        return True

    # -- rendering --------------------------------------------------------------------------

    def _render(self, node: ast.AST, depth: int, stack: frozenset[str], reading: _Reading = None) -> str:
        """The text of ``node``'s computation; a long one stands as its digest, wherever it is
        rendered (in place, through a local, as a helper's argument), so the same computation
        is the same text and a chain of locals that each read the last twice stays small."""
        return _compact(self._render_text(node, depth, stack, reading))

    def _render_text(self, node: ast.AST, depth: int, stack: frozenset[str], reading: _Reading = None) -> str:
        """(``reading``: which attribute of the value is read, `_child_reading`.)"""
        if depth > _MAX_DEPTH:
            return "<deep>"
        if isinstance(node, ast.Name):
            return self._name(node.id, depth, stack, (node.lineno, node.col_offset) if hasattr(node, "lineno") else None, reading)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and self._unbound(node.value.id):
            constant = class_constant(self.m, node.value.id, node.attr)
            if constant is not None:
                return f"C({constant.value!r})"  # as if written in place: `Status.NEW` and `"NEW"` are one value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            code = self._attribute(node.value.id, node.attr)
            if code is not None:  # (`order.total()`, `quote.label` a property: the method's code counts)
                return self._render_fields(node, depth, stack, reading) + f"D({code})"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and self.chain_code is not None:
            chained = self._chained(node, depth, stack)
            if chained is not None:  # (`order.address.city`: `Address.city`'s code, not all of `Address`'s)
                return chained
        if isinstance(node, ast.Attribute) and self.imported_code is not None:
            head = node.value
            while isinstance(head, ast.Attribute):
                head = head.value
            if isinstance(head, ast.Name) and head.id in self.m.imports.names and self._unbound(head.id):
                qual = self.m.qualify(node)  # (`util.compute` with `import util`: `compute` imported)
                if qual is not None and self.imported_code(qual) is not None:
                    return self._imported_name(qual)
        if isinstance(node, ast.Constant):
            return f"C({node.value!r})"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _TYPE_TESTS and len(node.args) == 2 \
                and not node.keywords and self._unbound(node.func.id) and node.func.id not in self.m.module_names:
            kinds = self._kinds(node.args[1])
            if kinds is not None:  # (`isinstance(x, Order)`: which class, not its code)
                return f"(Call {node.func.id} {self._render(node.args[0], depth + 1, stack)} K({kinds}))"
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)) or (
                isinstance(node, ast.Compare) and type(node.ops[0]) in _NEGATED_OPS and len(node.ops) == 1):
            positive, negated = positive_test(node)
            if negated:  # (`x is not None`, `not x is None`: one computation)
                return f"(Not {self._render(positive, depth + 1, stack)})"
        if isinstance(node, ast.NamedExpr):  # (`(n := len(x)) > 3` computes `len(x) > 3`)
            return self._render(node.value, depth, stack, reading)
        if isinstance(node, ast.IfExp):
            positive, negated = positive_test(node.test)
            if negated:  # (`b if not c else a` is `a if c else b`)
                node = ast.IfExp(positive, node.orelse, node.body)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _MIRRORED and isinstance(node.left, ast.Constant) \
                and not isinstance(node.comparators[0], ast.Constant):
            # `3 < n` is `n > 3`: rendered with the constant on the right, as most code writes it
            node = ast.Compare(node.comparators[0], [_MIRRORED[type(node.ops[0])]()], [node.left])
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
            tested = self._type_test(node.left, node.comparators[0]) or self._type_test(node.comparators[0], node.left)
            if tested is not None:  # (`type(x) is Order`)
                return f"(Compare {type(node.ops[0]).__name__} type({self._render(tested[0], depth + 1, stack)}) K({tested[1]}))"
        if isinstance(node, ast.MatchClass):
            kinds = self._kinds(node.cls)
            if kinds is not None:  # (`case Order(id=i):`)
                rest = ast.MatchClass(cls=ast.Constant(None), patterns=node.patterns, kwd_attrs=node.kwd_attrs, kwd_patterns=node.kwd_patterns)
                return f"K({kinds})" + self._render_fields(rest, depth, stack, reading)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in self.contexts
        ):
            if node.func.attr in ("run", "run_typed"):
                # a run's result is replayed from the journal: it depends on the run's name, not
                # on its action (changing the action changes nothing for invocations in flight)
                named = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "name"), None)
                return f"RUN({self._render(named, depth + 1, stack) if named is not None else '?'})"
            # likewise the other results replayed from the journal (`await ctx.get("k")`) depend
            # on what replay compares, not on the type or serde they are decoded with, nor on
            # how a call names its handler (`withdraw` imported from another module path)
            args, keywords = node.args, node.keywords
            if any(k.arg in _DECODING for k in keywords):
                keywords = [k for k in keywords if k.arg not in _DECODING]
            called = self.handler_of(node) if self.handler_of is not None else None
            if called is not None:
                reference, label = called[0], ast.Constant(called[1])
                args = [label if a is reference else a for a in args]
                keywords = [ast.keyword(k.arg, label) if k.value is reference else k for k in keywords]
            if args is not node.args or keywords is not node.keywords:
                node = ast.Call(func=node.func, args=args, keywords=keywords)
        elif isinstance(node, ast.Call) and self.run_named is not None and any(
                isinstance(a, ast.Name) and a.id in self.contexts for a in (*node.args, *(k.value for k in node.keywords))):
            named = self.run_named(node)
            if named is not None:
                return f"RUN({self._render(named, depth + 1, stack)})"
        if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and self._inside(node):
            return self._reach(node) + self._free_values(node, depth, stack)
        if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return self._reach(node)
        return self._render_fields(node, depth, stack, reading)

    def _render_fields(self, node: ast.AST, depth: int, stack: frozenset[str], reading: _Reading) -> str:
        parts = [type(node).__name__]
        for name, value in ast.iter_fields(node):
            if name in ("ctx", "type_comment"):
                continue
            if isinstance(value, ast.AST):
                parts.append(f"{name}={self._render(value, depth + 1, stack, _child_reading(node, name, reading))}")
            elif isinstance(value, list):
                items = ",".join(self._render(v, depth + 1, stack) if isinstance(v, ast.AST) else repr(v) for v in value)
                parts.append(f"{name}=[{items}]")
            else:
                parts.append(f"{name}={value!r}")
        return "(" + " ".join(parts) + ")"

    def _name(self, name: str, depth: int, stack: frozenset[str], at: tuple[int, int] | None = None, reading: _Reading = None) -> str:
        """A name's computation, once per (name, depth, stack, use): a local read as the
        expressions assigned before it reads other locals so again (`b = a + a; c = b + b`),
        and without the memo each read renders its whole chain anew, twice as often per step."""
        key = (name, depth, stack, at, reading, self._classes)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = self._framed(self._name_uncached, name, depth, stack, at, reading)
        if found[1][1]:
            self._merge(found[1])
        return found[0]

    def _name_uncached(self, name: str, depth: int, stack: frozenset[str], at: tuple[int, int] | None, reading: _Reading) -> str:
        held = self._held(name, depth, stack, at, reading)
        if self.instance_code is not None and (name in self._positions or (self._assigned is not None and name in self._assigned)):
            held += self._whole(name, reading)
        mutated = self.assignments() and self._mutated.get(name)
        if not mutated or name in stack or name in self.contexts:
            return held
        if name not in self.env and name not in self._positions and name not in self._assigned:  # type: ignore[operator]
            return held  # a module's or an enclosing function's object: not this function's value
        if at is not None:  # those that may have run before the use: before it, or in a loop around both
            mutated = [s for s in mutated if _end(s) <= at or self._looped(_start(s), at)]
            if not mutated:
                return held
        inner = stack | {name, f"\0{name}"}
        return held + "+M[" + ";".join(self._part(s, s, depth + 1, inner) + self._guarded(s, inner) for s in mutated) + "]"

    def _held(self, name: str, depth: int, stack: frozenset[str], at: tuple[int, int] | None, reading: _Reading = None) -> str:
        """What ``name`` is bound to, mutations aside; a module class whose instance, made here
        with keywords, has one field read (``reading``), by what that field depends on
        (`_field_view`)."""
        if name in self.env:
            passed = self.env[name]
            if isinstance(passed, Defaulted):
                default = default_of(self.fn.node, name)
                return f"DEF({self._render(default, depth + 1, stack | {name})})" if default is not None else f"P{self._positions.get(name)}"
            self._merge(getattr(passed, "frame", None))
            return passed
        if name in self.contexts:
            return "CTX"
        if name in self._positions:
            return f"P{self._positions[name]}"
        assigned = self.assignments().get(name)
        if assigned is not None:
            if name in stack:
                # a loop-carried value (`total += x`): its definitions are listed once; the name
                # a mutation is rendered for reads as `R(=)`, so renaming it changes nothing
                return "R(=)" if f"\0{name}" in stack else f"R({name})"
            inner = stack | {name}
            if at is not None:
                # only the assignments that may reach the use: those before it in source order,
                # and those after it in a loop around both (a use moved across a reassignment,
                # `key = "a"; key = "b"; get(key)` -> `get(key)` between them, reads another)
                positions = self._at.get(name, ())
                before = [(p, v) for v, p in zip(assigned, positions) if p <= at]
                last = max(before, key=lambda e: e[0])[1] if before else None
                inline = self._inlined(name, last, at) if last is not None else None
                if inline is not None:
                    # the last assignment before the use runs just before it, every time: the
                    # same computation as its value written in place (`k = f(x); get(k)` is
                    # `get(f(x))`, `n += 1; set(n)` is `set(n + 1)`); what it reads is read
                    # where it is (so `stack`, not `inner`: its own name there is an earlier value)
                    return self._part(inline, self._statement_of(last), depth + 1, stack, reading)
                assigned = [v for v, p in zip(assigned, positions) if p <= at or self._looped(p, at)]
            parts = []
            for v in assigned:
                if isinstance(v, tuple):  # (position in an unpacking, the unpacked value)
                    statement = self._statement_of(v[1])
                    parts.append(f"U{v[0]}({self._part(v[1], statement, depth + 1, inner)})" + self._guarded(statement, inner))
                elif isinstance(v, ast.AST):
                    statement = self._statement_of(v)
                    parts.append(self._part(v, statement, depth + 1, inner, reading) + self._guarded(statement, inner))
                else:
                    parts.append(v)
            return "L[" + ";".join(parts) + "]"
        child = self.fn.children.get(name)
        if child is not None and name not in self._positions and name not in stack:
            # a function defined here (`def label(): return base * 2`), called for its value: its
            # code and the values of this function it reads (`_render_text`), not its name alone
            return self._render(child.node, depth + 1, stack | {name})
        local_class = self._local_classes.get(name)
        if local_class is not None and name not in stack:  # (`class Limits: daily = 3`, read as `Limits.daily`: its code)
            return self._render(local_class, depth + 1, stack | {name})
        scope = self.fn.parent
        while scope is not None:  # a closure: the enclosing function's value
            if name in scope.local_names:
                outer = Fingerprinter(self.m, scope, imported=self.imported, imported_code=self.imported_code, path=self.path,
                                      definition_of=self.definition_of)
                return outer._render(ast.Name(id=name, ctx=ast.Load()), depth + 1, stack)
            scope = scope.parent
        qual = self.m.imports.names.get(name)
        if qual is not None:
            return self._imported_name(qual)
        value = self.m.module_values.get(name)
        if value is not None or name in self.m.module_assignments:
            constant = module_constant(self.m, name)
            if constant is not None:
                return f"C({constant.value!r})"  # as if written in place: `"balance"` and `BALANCE` are one value
            if value is None:
                # bound more than once (`RATES = {}`, then `RATES["a"] = 1`): by the text of the
                # statements that bind it and change it (not by its name alone: they may change)
                binding = module_binding(self.m, name)
                return f"D({code_digest(self.m, binding, self.path)})" if binding is not None else f"G({name})"
            if name in stack:
                return f"R({name})"
            # (a table of the module that changed is named as the line that binds it, `changed_lines`)
            statement = next((s for s in self.m.module_assignments.get(name, ()) if getattr(s, "value", None) is value), value)
            # and the statements that change it in place after (`LIMITS.update(...)`, a loop that
            # fills it), by their text
            return f"M({self._part(value, statement, depth + 1, stack | {name}, reading)})" + module_changes(self.m, name, self.path)
        defined = self.m.module_functions.get(name)
        if defined is not None:
            return self._reach(defined.node)
        cls = _definition(self.m, name)  # (a module function is above: this is a class, if anything)
        if isinstance(cls, ast.ClassDef):
            if reading is not None and reading[0] == "made":
                view = self._field_view(cls, reading[1])
                if view is not None:
                    return f"D({view})"
            return self._reach(cls)
        return f"G({name})"

    def _whole(self, name: str, reading: _Reading) -> str:
        """The class code a parameter's or local's instance counts by where it is used whole
        (`instance_code`), "" where an attribute read counts by its own code (`_attribute`), or
        it holds no instance rea is sure of."""
        if self.instance_code is None or not self._classes or name in self.contexts or (reading is not None and reading[0] == "present"):
            return ""
        if reading is not None and reading[0] == "attr" and self._attribute(name, reading[1]) is not None:
            return ""
        found = self._wholes.get(name)
        if found is None:
            code = self.instance_code(name) if name not in self.env else None
            found = self._wholes[name] = f"D({code})" if code is not None else ""
            if code is not None:
                self._classed.add(code)
        return found

    def _attribute(self, name: str, attr: str) -> str | None:
        """The digest of the code attribute ``attr`` reads as (`attribute_code`) in the class the
        parameter ``name`` is annotated with (a parameter this function does not bind again, not a
        helper's, whose value is its caller's), or in the class a local's instance is of; once per
        name and attribute (with the classes a field holds where classes count, `_classes`)."""
        if name in self.env or name in self.contexts:
            return None
        key = (name, attr)
        if key not in self._attributes:
            self._attributes[key] = None  # (a lookup that renders again meets None, not itself)
            found = None
            if name not in self._positions:
                if self.instance_attribute is not None and name in self.assignments():
                    found = self.instance_attribute(name, attr)  # (a local bound once to an instance)
            else:
                a = self.fn.node.args
                arg = next((p for p in (*a.posonlyargs, *a.args, *a.kwonlyargs) if p.arg == name), None)
                if arg is not None and arg.annotation is not None and name not in self.assignments() and self.attribute_code is not None:
                    found = self.attribute_code(arg.annotation, attr)
            if found is not None and found[0] != found[1]:
                self._classed.add(found[0])
            self._attributes[key] = found
        found = self._attributes[key]
        return None if found is None else found[0] if self._classes else found[1]

    def _chained(self, node: ast.Attribute, depth: int, stack: frozenset[str]) -> str | None:
        """An attribute read through fields of a parameter's or local's instance (`order.address.city`),
        rendered as the name and the attributes with the code they read (`chain_code`), or None."""
        attrs = [node.attr]
        head: ast.expr = node.value
        while isinstance(head, ast.Attribute):
            attrs.append(head.attr)
            head = head.value
        if not isinstance(head, ast.Name) or head.id in self.env or head.id in self.contexts or self._unbound(head.id):
            return None
        chain = tuple(reversed(attrs))
        key = (head.id, chain)
        if key not in self._chains:
            found = self.chain_code(head.id, chain) if self.chain_code is not None else None
            if found is not None and found[0] != found[1]:
                self._classed.add(found[0])
            self._chains[key] = found
        found = self._chains[key]
        if found is None or self._attribute(head.id, chain[0]) is None:
            return None
        at = (head.lineno, head.col_offset) if hasattr(head, "lineno") else None
        root = self._name(head.id, depth + 1, stack, at, ("attr", chain[0]))
        return f"(Chain {root} {'.'.join(chain)})D({found[0] if self._classes else found[1]})"

    def _kinds(self, node: ast.expr) -> str | None:
        """The classes an `isinstance` test (a `type(x) is` test, a `case X():` pattern) names, by
        their names (`Order`, `agents.NextStepHandoff` as `NextStepHandoff`): a test of which class
        a value is decides the same whatever the class's code, docstring and module (a model moved
        to `schemas.py` is tested the same); None for anything else (a local holding a class)."""
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        names = []
        for item in items:
            if isinstance(item, ast.Name) and self._unbound(item.id) and (
                    item.id in self.m.imports.names or isinstance(_definition(self.m, item.id), ast.ClassDef) or item.id in _BUILTIN_TYPES):
                names.append(item.id if item.id not in self.m.imports.names else self.m.imports.names[item.id].rpartition(".")[2])
            elif isinstance(item, ast.Attribute) and isinstance(item.value, (ast.Name, ast.Attribute)):
                head: ast.expr = item.value
                while isinstance(head, ast.Attribute):
                    head = head.value
                if not (isinstance(head, ast.Name) and head.id in self.m.imports.names and self._unbound(head.id)):
                    return None
                names.append(item.attr)
            else:
                return None
        return ",".join(names)

    def _type_test(self, call: ast.expr, cls: ast.expr) -> tuple[ast.expr, str] | None:
        """(x, the class's name) for `type(x)` compared with a class `_kinds` names, else None."""
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "type" and len(call.args) == 1 \
                and not call.keywords and self._unbound("type") and "type" not in self.m.module_names and not isinstance(cls, ast.Tuple):
            kinds = self._kinds(cls)
            return (call.args[0], kinds) if kinds is not None else None
        return None

    def _imported_name(self, qual: str) -> str:
        """An imported name: a constant of a project module as the literal it is (`from keys import
        CHAT`, as `"chat"` written in place or a module's own constant), the project's function or
        value by its code (`imported_code`: the same code moved to a module of another name
        computes the same), anything else by the name it is imported as (`imported`)."""
        constant = self.imported_constant(qual) if self.imported_constant is not None else None
        if constant is not None:
            return f"C({constant.value!r})"
        code = self.imported_code(qual) if self.imported_code is not None else None
        if code is not None:
            return code
        return f"Q({self.imported(qual) if self.imported is not None else qual})"

    def _guarded(self, statement: ast.AST, stack: frozenset[str]) -> str:
        """The tests a binding or mutation of a local runs under (`n = 1` under `if len(name) >
        limit:`, `_guards`): which value the local holds depends on them, and on what they read
        (`limit`, a helper they call), too (`_test`). Inside a test's slice (a context call
        rendered there), by their text: tests read each other's values (`while n < top:` over
        `n += 1`), and each would be rendered anew under every other (a sweep pair took 28 s
        instead of 0.5 s)."""
        tests = self._guards.get(id(statement))
        if not tests:
            return ""
        if _IN_TEST in stack:
            found = self._guard_texts.get(id(statement))
            if found is None:
                found = self._guard_texts[id(statement)] = "?[" + ";".join(_dump(t) for t in tests) + "]"
            return found
        return "?[" + ";".join(self._test(t) for t in tests) + "]"

    def _test(self, test: ast.AST) -> str:
        """What a test a binding runs under reads, once per test (every binding under an agent
        loop's tests reads them; `_test_slice`)."""
        found = self._tests.get(id(test))
        if found is None:
            found = self._tests[id(test)] = self._framed(self._test_slice, test)
        if found[1][1] and self._frames:  # (the test's text stands for the renderings inside it, `_part`)
            parent = self._frames[-1]
            parent[0].append(found[0])
            parent[1].add(found[1][1])
        return found[0]

    def _test_slice(self, test: ast.AST) -> str:
        """A test's text with the text of the statements of this function it depends on: those
        that bind or change the locals it reads, the tests those run under, and so on for the
        locals they read; and the rest of what they read (a parameter, a module's value, a
        helper, an import) rendered. By text, not rendered through each local: a loop's tests read
        its values, each of which runs under those tests again (rendered, the tests of an agent
        loop took a sweep pair 3x as long, and gigabytes)."""
        assigned = self.assignments()
        trail = self._frames[-1][1]
        text, loads = self._sliced(test)
        parts = [text]
        todo = [loads]
        seen: set[str] = set()
        done: set[int] = set()
        while todo:
            for name in sorted(todo.pop(), reverse=True):
                if name in seen or name in self.contexts:
                    continue
                seen.add(name)
                reads: list[tuple[ast.AST, ast.AST | None]] = []
                if name in assigned:
                    for value in assigned[name]:
                        if isinstance(value, tuple):
                            value = value[1]
                        if not isinstance(value, ast.AST):
                            parts.append(f"{name}={value}")
                            continue
                        statement = self._statement_of(value)
                        reads.append((value, statement))
                        reads.extend((t, None) for t in self._guards.get(id(statement), ()))
                else:  # (a parameter, a module's value, a helper, an import: as it is rendered, its mutations aside)
                    held = self._closure_text(name) or self._held(name, 1, _IN_TEST_STACK, None) + self._whole(name, None)
                    parts.append(f"{name}={held}")
                for mutation in self._mutated.get(name, ()):
                    reads.append((mutation, mutation))
                    reads.extend((t, None) for t in self._guards.get(id(mutation), ()))
                for read, place in reads:
                    if id(read) in done:
                        continue
                    done.add(id(read))
                    text, loads = self._sliced(read)
                    parts.append(f"{name}={text}")
                    if place is not None:  # (where a reason names it, `changed_lines`)
                        trail.note(hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16], (self.path, place))
                    todo.append(loads)
        return _compact(";".join(parts))

    def _context_calls(self, node: ast.AST) -> list[ast.Call]:
        """The outermost calls of a context method in ``node`` (`await ctx.get("k", type_hint=int)`)."""
        found: list[ast.Call] = []
        todo = [node]
        while todo:
            n = todo.pop()
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) \
                    and n.func.value.id in self.contexts:
                found.append(n)
                continue
            todo.extend(ast.iter_child_nodes(n))
        return found

    def _sliced(self, node: ast.AST) -> tuple[str, set[str]]:
        """A statement or expression of a test's slice: its text, with each context call in it as
        it is rendered (what replay gives back: a run's result by its name, a state value by its
        key; not the type it is decoded with, nor how the code names a handler it calls), and the
        names it loads outside those calls (whose renderings hold what they read)."""
        calls = self._context_calls(node)
        inside = {id(n) for call in calls for n in ast.walk(call)}
        loads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in inside}
        if not calls:
            return _dump(node), loads
        text = ast.unparse(node)
        for call in calls:
            text = text.replace(ast.unparse(call), self._render(call, 1, _IN_TEST_STACK), 1)
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16] + _code_read(text), loads

    def _closure_text(self, name: str) -> str:
        """An enclosing function's variable a test reads, by the text of what that function binds
        to it ("" for a name of this function or of none around it): rendering it there would
        render that function's code anew for every helper fingerprint the test is in."""
        if name in self.env or name in self._positions:
            return ""
        scope = self.fn.parent
        while scope is not None and name not in scope.local_names:
            scope = scope.parent
        if scope is None:
            return ""
        shared = memo(self.m)
        key = ("fingerprint-closure-texts", id(scope.node))
        texts = shared.get(key)
        if texts is None:
            outer = Fingerprinter(self.m, scope, path=self.path)
            texts = shared[key] = {n: "O[" + ";".join(_dump(v[1] if isinstance(v, tuple) else v) if not isinstance(v, str) else v
                                                      for v in values) + "]"
                                   for n, values in outer.assignments().items()}
        return texts.get(name, f"O({name})")

    def _inside(self, node: ast.AST) -> bool:
        """Is ``node`` written inside this function's body (a lambda or def of its own)?"""
        own = self.fn.node
        line = getattr(node, "lineno", 0)
        return isinstance(own, (ast.FunctionDef, ast.AsyncFunctionDef)) and own.lineno < line <= (own.end_lineno or 0)

    def _free_values(self, node: ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, depth: int,
                     stack: frozenset[str]) -> str:
        """The values of this function's locals a lambda, def or class of its own reads when it
        runs (`base` in `lambda: base * 2`): its code alone does not change when `base = 3` becomes 4."""
        own = {p.arg for p in _parameters(node.args)} if not isinstance(node, ast.ClassDef) else set()
        loads: set[str] = set()
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                if isinstance(n.ctx, ast.Load):
                    loads.add(n.id)
                else:
                    own.add(n.id)
        free = sorted((loads - own) & self.assignments().keys())
        return "".join(f"V({v}:{self._name(v, depth + 1, stack)})" for v in free if v not in stack)

    def _statement_of(self, value: object) -> ast.AST:
        """The statement that binds a value `assignments` lists (the value itself, where none does)."""
        return self._statements.get(id(value), value)  # type: ignore[arg-type]

    def _looped(self, a: tuple[int, int], b: tuple[int, int]) -> bool:
        """Are positions ``a`` and ``b`` inside one loop (a later one can reach an earlier one)?"""
        return any(start <= a <= end and start <= b <= end for start, end in self._loops)

    def _inlined(self, name: str, value: object, at: tuple[int, int]) -> ast.expr | None:
        """The expression the last assignment before a use may be read as, written in place;
        None if it may not. Only a plain `name = value` (or `name += value`: `name + value`) in a
        block whose later statement holds the use, with no loop between them (it ran once, just
        before: no other assignment reaches the use), and no mutation (`_mutations`) between
        them of ``name`` or of what the value reads (nothing changed what it computed; a call
        is taken not to change its arguments, as everywhere in a fingerprint)."""
        where = self._plain.get(id(value))
        if where is None:
            return None
        block, index, end, expression = where
        reads = {n.id for n in ast.walk(expression) if isinstance(n, ast.Name)} | {name}
        if any(end < _end(s) and _start(s) < at for n in reads for s in self._mutated.get(n, ())):
            return None
        for stmt in block[index + 1:]:
            if _spans(stmt, at):
                return None if _loop_between(stmt, at) else expression
        return None

    def _field_view(self, cls: ast.ClassDef, field: str) -> str | None:
        """`_field_view`'s digest, once per class and field (kept in the model's `memo`)."""
        shared = memo(self.m)
        key = ("fingerprint-field-view", id(cls), field)
        if key not in shared:
            view = _field_view(cls, field, {s.name for s in self.m.tree.body if isinstance(s, ast.ClassDef)})
            shared[key] = _dump(view) if view is not None else None
        return shared[key]

    def _dump(self, node: ast.AST) -> str:
        return code_digest(self.m, node, self.path)

    def _reach(self, node: ast.AST) -> str:
        """A definition's code as a computation reads it: its own and what it calls (`code_reach`),
        each as `D(digest)` (so `code_names` names the helper whose body changed)."""
        found = self._reaches.get(id(node))
        if found is None:
            found = self._reaches[id(node)] = "".join(f"D({d})" for d in code_reach(self.m, node, self.path, self.definition_of))
        return found

    def assignments(self) -> dict[str, list[ast.AST | str | tuple[int, ast.AST]]]:
        """Local name -> what is assigned to it, in source order (nested defs excluded)."""
        if self._assigned is not None:
            return self._assigned  # type: ignore[return-value]
        out: dict[str, list[ast.AST | str | tuple[int, ast.AST]]] = {}
        at: dict[str, list[tuple[int, int]]] = {}
        augmented: dict[int, ast.BinOp] = {}
        bind = partial(_bind, out)

        def bound(where: ast.AST, *targets: ast.AST | str) -> None:
            """The entries just added for ``targets``' names take effect after ``where``."""
            position = (getattr(where, "end_lineno", None) or 0, getattr(where, "end_col_offset", None) or 0)
            for t in targets:
                for name in [t] if isinstance(t, str) else (n.id for n in ast.walk(t) if isinstance(n, ast.Name)):
                    have = at.setdefault(name, [])
                    have.extend([position] * (len(out.get(name, ())) - len(have)))

        statements = self._statements
        own = list(_own_blocks(self.fn.node.body))  # (one walk serves the loops below and `_mutations`)
        for _block, _index, stmt in own:
            if isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    bind(t, stmt.value)
                bound(stmt, *stmt.targets)
                statements[id(stmt.value)] = stmt
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                bind(stmt.target, stmt.value)
                bound(stmt, stmt.target)
                statements[id(stmt.value)] = stmt
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                aug = augmented[id(stmt)] = ast.BinOp(left=ast.Name(id="_", ctx=ast.Load()), op=stmt.op, right=stmt.value)
                out.setdefault(stmt.target.id, []).append(aug)
                bound(stmt, stmt.target)
                statements[id(aug)] = stmt
            elif isinstance(stmt, (ast.For, ast.AsyncFor)):
                each = ast.Call(func=ast.Name(id="__iter__", ctx=ast.Load()), args=[stmt.iter], keywords=[])
                bind(stmt.target, each)
                bound(stmt.iter, stmt.target)
                statements[id(each)] = stmt
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    if item.optional_vars is not None:
                        bind(item.optional_vars, item.context_expr)
                        bound(item.context_expr, item.optional_vars)
                        statements[id(item.context_expr)] = stmt
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    name = alias.asname or alias.name.split(".")[0]
                    out.setdefault(name, []).append(f"I({getattr(stmt, 'module', '')}.{alias.name})")
                    bound(stmt, name)
            elif isinstance(stmt, ast.Try):
                for handler in stmt.handlers:
                    if handler.name:
                        out.setdefault(handler.name, []).append("EXC")
                        bound(handler.type or handler, handler.name)
        declared: list[str] = []
        for node in _own_expressions(self.fn.node.body):
            if isinstance(node, ast.NamedExpr):
                bind(node.target, node.value)
                bound(node.value, node.target)
                statements[id(node.value)] = node
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                declared.extend(node.names)
        self._declared = frozenset(declared)
        self._at = at
        for block, index, stmt in own:
            if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
                self._loops.append((_start(stmt), _end(stmt)))
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self._plain[id(stmt.value)] = (block, index, _end(stmt), stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
                self._plain[id(stmt.value)] = (block, index, _end(stmt), stmt.value)
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and id(stmt) in augmented:
                # `n += v` reads as `n + v`, `n` as it was there
                named = ast.Name(id=stmt.target.id, ctx=ast.Load(), lineno=stmt.target.lineno, col_offset=stmt.target.col_offset)
                self._plain[id(augmented[id(stmt)])] = (block, index, _end(stmt), ast.BinOp(left=named, op=stmt.op, right=stmt.value))
        self._guards = _guards(self.fn.node.body)
        self._local_classes = {s.name: s for block in {id(b): b for b, _i, _s in own}.values() for s in block if isinstance(s, ast.ClassDef)}
        self._assigned = out  # type: ignore[assignment]
        self._mutated = _mutations([stmt for _block, _index, stmt in own], out, self.contexts)
        return out


_IN_TEST = "?"
"""In a rendering's names under way: a test is being rendered (`Fingerprinter._guarded`)."""
_IN_TEST_STACK = frozenset({_IN_TEST})

_Reading = Union[tuple[str, str], None]
"""Which attribute of a value is read where it is rendered: `("attr", a)`, the value's own;
`("made", a)`, that of what the callable makes (`Model(**d).a`); `("present", "")`: only whether
it is there (`_tests_presence`)."""
_VALIDATING = frozenset({"model_validate", "model_validate_json", "parse_obj", "parse_raw"})
"""A pydantic model's class methods that make an instance from one mapping or JSON document."""


def _child_reading(node: ast.AST, field: str, reading: _Reading) -> _Reading:
    """What is read of ``node``'s child ``field``: an attribute's value has that attribute read;
    the callable of a call made with keywords only (or a pydantic model's `model_validate`)
    whose result has attribute ``a`` read makes something whose ``a`` is read."""
    if field in ("left", "operand") and _tests_presence(node):
        return ("present", "")
    if isinstance(node, ast.Attribute) and field == "value":
        if reading is not None and reading[0] == "made" and node.attr in _VALIDATING:
            return reading
        return ("attr", node.attr)
    if isinstance(node, ast.Call) and field == "func" and reading is not None and reading[0] == "attr":
        if not node.args or (isinstance(node.func, ast.Attribute) and node.func.attr in _VALIDATING):
            return ("made", reading[1])
    return None


def _tests_presence(node: ast.AST) -> bool:
    """Does ``node`` test only whether its operand is there (`x is None`, `x is not None`, `not x`),
    which a model's code does not decide (an instance is never None, and never false)?"""
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    return (isinstance(node, ast.Compare) and all(isinstance(o, (ast.Is, ast.IsNot)) for o in node.ops)
            and all(isinstance(c, ast.Constant) and c.value is None for c in node.comparators))


def _field_view(cls: ast.ClassDef, field: str, module_classes: set[str]) -> ast.ClassDef | None:
    """A plain data class as what one of its fields holds in an instance made with keywords:
    the class without its other fields that have a default (a field added with a default, or
    another field's default changed, leaves that field's value as it was). None unless the
    class is only that: no decorator (a dataclass is made positionally), no base of this
    module's (its validators are not here), its body field declarations, plain assignments
    (`model_config`, kept) and a docstring only (a method or validator may read any field), the
    field one of them, and nothing that says what becomes of extra keys (`extra="forbid"`
    refuses a field's key once it is removed: kept whole)."""
    if cls.decorator_list or any(isinstance(b, ast.Name) and b.id in module_classes for b in cls.bases):
        return None
    if any(k.arg == "extra" for k in cls.keywords):
        return None
    kept: list[ast.stmt] = []
    found = False
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if stmt.target.id == field:
                found = True
            elif stmt.value is not None:
                continue  # another field with a default
        elif isinstance(stmt, ast.Assign):
            if any(isinstance(n, ast.Name) and n.id == field for t in stmt.targets for n in ast.walk(t)):
                return None
            if "extra" in ast.unparse(stmt):
                return None
        elif not (isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))):
            return None
        kept.append(stmt)
    if not found:
        return None
    view = copy.copy(cls)
    view.body = kept
    return view


def module_constant(model: Model, name: str) -> ast.Constant | None:
    """The literal a module-level name always holds: bound once in the module, by a plain
    assignment of a literal (`BALANCE = "balance"`), and never declared `global`. None
    otherwise (bound again, by a loop, an import or a `def`; or assigned from a function). An
    import the assignment shadows (`from keys import BALANCE` before it, `ImportMap`) is not
    a binding in force when a function runs: it does not count."""
    value = model.module_values.get(name)
    if not isinstance(value, ast.Constant) or not isinstance(value.value, _LITERAL_TYPES):
        return None
    shared = memo(model)
    found = shared.get("fingerprint-module-bindings")
    if found is None:
        found = shared["fingerprint-module-bindings"] = _module_bindings(model.tree)
    stores, declared_global, imports = found
    shadowed = imports[name] if name not in model.imports.names else 0
    return value if stores[name] - shadowed == 1 and not stores["*"] and name not in declared_global else None


def class_constant(model: Model, cls: str, attr: str) -> ast.Constant | None:
    """The literal a plain class's attribute always holds (`class Status: NEW = "NEW"`, read as
    `Status.NEW`): the class defined once in the module, with no base but `object`, no decorator
    or keyword (an `Enum`'s member is not its value, a metaclass may change it), the attribute
    bound once in its body, to a literal, and stored or deleted nowhere else in the module.
    None otherwise."""
    shared = memo(model)
    key = ("fingerprint-class-constant", cls, attr)
    if key in shared:
        return shared[key]
    found = shared[key] = _class_constant(model, cls, attr)
    return found


def _class_constant(model: Model, cls: str, attr: str) -> ast.Constant | None:
    if module_constant(model, cls) is not None or model.module_values.get(cls) is not None:
        return None
    classes = [s for s in model.tree.body if isinstance(s, ast.ClassDef) and s.name == cls]
    shared = memo(model)
    bindings = shared.get("fingerprint-module-bindings")
    if bindings is None:
        bindings = shared["fingerprint-module-bindings"] = _module_bindings(model.tree)
    stores, declared_global, _imports = bindings
    if len(classes) != 1 or stores[cls] != 1 or stores["*"] or cls in declared_global:
        return None
    klass = classes[0]
    if klass.decorator_list or klass.keywords or any(not (isinstance(b, ast.Name) and b.id == "object") for b in klass.bases):
        return None
    values: list[ast.AST] = []
    for stmt in klass.body:
        for node in ast.walk(stmt):  # every binding of the name in the body, at any depth
            if isinstance(node, ast.Name) and node.id == attr and not isinstance(node.ctx, ast.Load):
                values.append(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == attr:
                values.append(node)
            elif isinstance(node, ast.alias) and (node.asname or node.name) == attr:
                values.append(node)
    plain = [s for s in klass.body if isinstance(s, (ast.Assign, ast.AnnAssign)) and isinstance(s.value, ast.Constant)
             and [t.id for t in (s.targets if isinstance(s, ast.Assign) else [s.target]) if isinstance(t, ast.Name)] == [attr]]
    if len(values) != 1 or len(plain) != 1 or not isinstance(plain[0].value.value, _LITERAL_TYPES):  # type: ignore[union-attr]
        return None
    for node in ast.walk(model.tree):  # `Status.NEW = ...`, `cls.NEW = ...`, `del x.NEW` anywhere, `setattr(...)`
        if isinstance(node, ast.Attribute) and node.attr == attr and not isinstance(node.ctx, ast.Load):
            return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
            return None
    return plain[0].value  # type: ignore[return-value]


def _module_bindings(tree: ast.Module) -> tuple[Counter[str], frozenset[str], Counter[str]]:
    """How often each name is bound at module level (any way: assignment, loop, import, `def`,
    `except ... as`, a match capture; `*` counts star imports, which may bind any name), the
    names some function declares `global`, and how many of each name's bindings are imports."""
    stores: Counter[str] = Counter()
    imports: Counter[str] = Counter()
    declared: set[str] = set()
    stack: list[tuple[ast.AST, bool]] = [(stmt, True) for stmt in tree.body]
    while stack:
        node, top = stack.pop()
        if isinstance(node, ast.Global):
            declared.update(node.names)
            continue
        scope = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
        if top:
            if isinstance(node, ast.Name):
                if not isinstance(node.ctx, ast.Load):
                    stores[node.id] += 1
            elif isinstance(node, ast.alias):
                stores[(node.asname or node.name).split(".")[0]] += 1
                imports[(node.asname or node.name).split(".")[0]] += 1
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stores[node.name] += 1
            elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
                stores[node.name] += 1
            elif isinstance(node, ast.MatchMapping) and node.rest:
                stores[node.rest] += 1
        stack.extend((child, top and not scope) for child in ast.iter_child_nodes(node))
    return stores, frozenset(declared), imports


def _bind(out: dict[str, list[ast.AST | str | tuple[int, ast.AST]]], target: ast.AST, value: ast.AST | str | tuple[int, ast.AST]) -> None:
    """Record what an assignment target's names are bound to (a tuple target: by position).
    (A module function, not a closure: a closure that calls itself is a reference cycle, and
    shaping runs with the collector off.)"""
    if isinstance(target, ast.Name):
        out.setdefault(target.id, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        if isinstance(value, tuple):
            # a nested unpacking (`for (a, b), c in ...`): element i of element k, as `value[k]`
            # (not the tuple's repr in a string: that held the node's address, another each run)
            value = ast.Subscript(value=value[1], slice=ast.Constant(value[0]), ctx=ast.Load())  # type: ignore[arg-type]
        for i, elt in enumerate(target.elts):
            if isinstance(value, ast.AST):
                _bind(out, elt, (i, value))
            else:
                _bind(out, elt, f"U{i}({value})")
    elif isinstance(target, ast.Starred):
        _bind(out, target.value, value)


def _mutations(statements: list[ast.stmt], assigned: Mapping[str, list], contexts: frozenset[str]) -> dict[str, list[ast.stmt]]:
    """Name -> the statements that mutate what it holds in place: a method called as a
    statement (`items.append(x)`, `await q.put(x)`), a store into or a deletion of a subscript
    or an attribute (`d[k] = v`, `obj.n += 1`, `del d[k]`), on it or on something reached from it
    (`d["a"].append(x)`). A mutation of a name also mutates the names its assigned values read
    (`for line in cart: line["n"] += 1` mutates `cart`): which element it aliases is not known,
    so every one it may alias counts (one mutation too many only makes a fingerprint differ)."""
    direct: dict[str, list[ast.stmt]] = {}
    holders = set(contexts)  # an object built with the context (`saga = Saga(ctx)`): its calls are operations, shaped one by one
    for name, values in assigned.items():
        for value in values:
            value = value[1] if isinstance(value, tuple) else value
            if isinstance(value, ast.AST) and _holds_context(value, contexts):
                holders.add(name)
    for stmt in statements:  # (a function's own, `_own_blocks`)
        bases: list[str | None] = []
        if isinstance(stmt, ast.Expr):
            call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
                bases.append(_base(call.func.value))
        elif isinstance(stmt, (ast.Assign, ast.Delete)):
            bases.extend(_base(t.value) for t in _stored(stmt.targets))
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
            bases.extend(_base(t.value) for t in _stored([stmt.target]))
        for name in dict.fromkeys(b for b in bases if b is not None and b not in holders):
            seen = {name}
            todo = [name]
            while todo:  # the names it may alias, through what they are assigned
                held = todo.pop()
                direct.setdefault(held, []).append(stmt)
                for value in assigned.get(held, ()):
                    value = value[1] if isinstance(value, tuple) else value
                    if not isinstance(value, ast.AST):
                        continue
                    for read in ast.walk(value):
                        if isinstance(read, ast.Name) and read.id not in seen and read.id not in holders:
                            seen.add(read.id)
                            todo.append(read.id)
    return direct


def _holds_context(value: ast.AST, contexts: frozenset[str]) -> bool:
    """Does ``value`` hold a context itself (`Saga(ctx)`, `[ctx]`), not only what a context
    method returns (`await ctx.get("k")`) or what an awaited helper given it returns
    (`history = await load_history(ctx)`: a value, mutated like any other)?"""
    nodes = []
    todo = [value]
    while todo:
        node = todo.pop()
        if not isinstance(node, ast.Await):
            nodes.append(node)
            todo.extend(ast.iter_child_nodes(node))
    receivers = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
    return any(isinstance(n, ast.Name) and n.id in contexts and id(n) not in receivers for n in nodes)


def _start(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0)


def _spans(node: ast.AST, at: tuple[int, int]) -> bool:
    return _start(node) <= at <= _end(node)


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _blocks(stmt: ast.stmt) -> Iterable[list[ast.stmt]]:
    """The statement lists nested directly in ``stmt`` (an `except`'s and a `case`'s bodies too)."""
    for name in _BLOCKS:
        children = getattr(stmt, name, None) or []
        if name in ("handlers", "cases"):
            yield from (c.body for c in children)
        elif children:
            yield children


def _loop_between(stmt: ast.stmt, at: tuple[int, int]) -> bool:
    """Is ``at`` inside a loop that is ``stmt`` or is nested in it (it may run more than once
    after ``stmt`` starts)?"""
    node = stmt
    while True:
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            return True
        inner = [c for block in _blocks(node) for c in block if _spans(c, at)]
        if not inner:
            return False
        node = inner[0]


def _own_blocks(body: list[ast.stmt]):
    """(its block, its index there, the statement) for every statement of a function body at
    any depth, nested defs and classes left out; each compound statement before what it holds,
    its blocks in `_blocks`' order."""
    stack: list[tuple[list[ast.stmt], int, ast.stmt]] = [(body, i, s) for i, s in reversed(list(enumerate(body)))]
    while stack:
        block, index, stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield block, index, stmt
        for inner in reversed(list(_blocks(stmt))):
            stack.extend((inner, i, s) for i, s in reversed(list(enumerate(inner))))


def _guards(body: list[ast.stmt]) -> dict[int, tuple[ast.AST, ...]]:
    """id of each statement of a function body that runs only where some tests say so -> those
    tests, outermost first (`Fingerprinter._guarded`): an `if`'s or a `while`'s (either branch);
    a `match`'s subject with the case's pattern and guard; in a loop, an earlier `if` of its
    block that breaks or continues it (`if x > 2: break`, then `n += 1`). Nested defs and classes
    left out."""
    out: dict[int, tuple[ast.AST, ...]] = {}
    stack: list[tuple[list[ast.stmt], tuple[ast.AST, ...]]] = [(body, ())]
    while stack:
        block, tests = stack.pop()
        for stmt in block:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if tests:
                out[id(stmt)] = tests
            if isinstance(stmt, ast.Match):
                for case in stmt.cases:
                    stack.append((case.body, (*tests, stmt.subject, case.pattern, *([case.guard] if case.guard else []))))
                continue
            inner = (*tests, stmt.test) if isinstance(stmt, (ast.If, ast.While)) else tests
            for nested in _blocks(stmt):
                stack.append((nested, inner))
            if isinstance(stmt, ast.If) and _leaves_iteration(stmt):
                tests = (*tests, stmt.test)  # (the statements after it run where it did not break or continue)
    return out


def _leaves_iteration(stmt: ast.If) -> bool:
    """Does an `if` break or continue the loop it is in (in either branch, at any depth short of
    a loop or def of its own)?"""
    todo: list[ast.stmt] = [*stmt.body, *stmt.orelse]
    while todo:
        s = todo.pop()
        if isinstance(s, (ast.Break, ast.Continue)):
            return True
        if not isinstance(s, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for block in _blocks(s):
                todo.extend(block)
    return False


def _stored(targets: Iterable[ast.expr]) -> Iterable[ast.Subscript | ast.Attribute]:
    """The subscripts and attributes among assignment or `del` targets (in tuples too)."""
    for t in targets:
        if isinstance(t, (ast.Subscript, ast.Attribute)):
            yield t
        elif isinstance(t, (ast.Tuple, ast.List)):
            yield from _stored(t.elts)
        elif isinstance(t, ast.Starred):
            yield from _stored([t.value])


def _base(node: ast.expr) -> str | None:
    """The name an attribute, subscript or method-call chain starts from (`d["a"].b` -> `d`)."""
    while True:
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def _param_positions(fn: Function) -> dict[str, int]:
    return {p.arg: i for i, p in enumerate(_parameters(fn.node.args))}


def _parameters(a: ast.arguments) -> list[ast.arg]:
    """A function's or lambda's parameters: positional, keyword-only, then `*args` and `**kwargs`."""
    return [*a.posonlyargs, *a.args, *a.kwonlyargs, *(x for x in (a.vararg, a.kwarg) if x is not None)]


def default_of(node: ast.AST, name: str) -> ast.expr | None:
    """The default value of parameter ``name`` of the function ``node``, if it has one."""
    a = getattr(node, "args", None)
    if a is None:
        return None
    positional = [*a.posonlyargs, *a.args]
    for param, default in zip(positional[len(positional) - len(a.defaults):], a.defaults):
        if param.arg == name:
            return default
    for param, kw_default in zip(a.kwonlyargs, a.kw_defaults):
        if param.arg == name:
            return kw_default
    return None


def _own_expressions(body: list[ast.stmt]):
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def code_digest(model: Model | None, node: ast.AST, path: str = "") -> str:
    """`_dump` of a definition of ``model``'s module, once (kept in its `memo`): a module function
    or class is read by many names and helpers, not dumped again for each (without the model, as
    for a method read through a `Decoding`, each time). Its name and place in ``path`` are kept by
    the digest (`code_names`)."""
    shared = memo(model) if model is not None else {}
    key = ("fingerprint-dump", id(node))
    found = shared.get(key)
    if found is None:
        found = shared[key] = _dump(node)
        first = node.body[0] if isinstance(node, ast.Module) and node.body else node  # (`module_binding`'s statements)
        name = getattr(first, "name", None)
        if name is None and isinstance(first, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            name = ast.unparse(first.targets[0] if isinstance(first, ast.Assign) else first.target)
        if name is not None and path:
            register(found, f"`{name}` ({path}:{getattr(first, 'lineno', 0)})")
    return found


Definition = tuple[Model, ast.AST, str]
"""A function or class of the project: its module's model, its node, its file."""
Imported = Callable[[str, str], "Definition | None"]
"""(a qualified name an import gives, the importing file) -> the project's definition it denotes."""


def code_reach(model: Model, node: ast.AST, path: str,
               imported: Imported | None = None) -> tuple[str, ...]:
    """The digests (`code_digest`) of a definition and of every function and class of the project
    it names, and they name, and so on: what decides what it computes (`label(x)` computes with
    `inner` too, when `label` calls it; a validator with the helper it calls). Its own first, the
    others in the order a walk meets them. ``imported``: (a qualified name an import gives, the
    importing file) -> the definition it denotes (without it, the module's own only)."""
    out: dict[str, None] = {}
    seen: set[int] = set()
    stack: list[Definition] = [(model, node, path)]
    while stack and len(seen) < _MAX_REACH:
        m, n, p = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        out[code_digest(m, n, p)] = None
        found: list[Definition] = []
        # a module value runs the functions and classes it calls (`formatter = Formatter()`), and
        # only holds those it names otherwise: their code counts where a computation calls them
        # (a registry of tasks, `TASKS = {"a": a_task}`, is not the code of every task it lists)
        called = _called(m, n) if isinstance(n, _VALUES) else None
        for reference in _references(m, n):
            local, name = reference
            if local:
                target = _definition(m, name) or module_binding(m, name)
                found_here = (m, target, p) if target is not None else None
            else:
                found_here = imported(name, p) if imported is not None else None
            if found_here is not None and (called is None or reference in called or isinstance(found_here[1], _VALUES)):
                found.append(found_here)
        stack.extend(reversed(found))
    return tuple(out)


_TYPE_TESTS = frozenset({"isinstance", "issubclass"})
_BUILTIN_TYPES = frozenset({"str", "int", "float", "bool", "bytes", "list", "dict", "tuple", "set", "frozenset", "type", "object",
                            "Exception", "BaseException", "ValueError", "TypeError", "KeyError"})
"""Builtin classes an `isinstance` test may name (not shadowed: `_kinds` asks the module first)."""
_VALUES = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Module)
"""`module_binding`'s nodes: a module value's statements."""


def _called(model: Model, node: ast.AST) -> set[tuple[bool, str]]:
    """The references (as `_references` gives them) that ``node`` calls: `Formatter()`,
    `tools.make()`; once per node (a value is reached from every function that reads it)."""
    shared = memo(model)
    key = ("fingerprint-called", id(node))
    found = shared.get(key)
    if found is not None:
        return found
    called: set[tuple[bool, str]] = set()
    shared[key] = called
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            func = n.func
            if isinstance(func, ast.Name):
                qual = model.imports.names.get(func.id)
                called.add((False, qual) if qual is not None else (True, func.id))
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in model.imports.names:
                qual = model.qualify(func)
                if qual is not None:
                    called.add((False, qual))
    return called


_MAX_REACH = 200
"""How many definitions `code_reach` follows from one (a project's whole call graph is not one value's code)."""


def _references(model: Model, node: ast.AST) -> list[tuple[bool, str]]:
    """The names a definition reads that may be the project's functions, classes or module values:
    (True, a name its module binds to one) or (False, the qualified name an import gives); once
    per node. A name the definition binds itself (a parameter, a local) is its own, not the module's."""
    shared = memo(model)
    key = ("fingerprint-references", id(node))
    found = shared.get(key)
    if found is None:
        own = getattr(node, "name", None)
        names: dict[tuple[bool, str], None] = {}
        walked = list(_walk_unannotated(node))
        bound = {n.id for n in walked if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        bound.update(n.arg for n in walked if isinstance(n, ast.arg))
        for n in walked:
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id != own:
                if n.id in model.imports.names:
                    names[(False, model.imports.names[n.id])] = None
                elif _definition(model, n.id) is not None or (n.id in model.module_values and n.id not in bound):
                    names[(True, n.id)] = None
            elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in model.imports.names:
                qual = model.qualify(n)  # (`util.compute` with `import util`)
                if qual is not None:
                    names[(False, qual)] = None
        found = shared[key] = list(names)
    return found


def _walk_unannotated(node: ast.AST) -> Iterable[ast.AST]:
    """`ast.walk` without annotations (a parameter's, a return's, a variable's or a field's): a type
    named there decides nothing a definition computes (a class's whole code is `class_code`'s); nor
    the action of a run (`ctx.run("fetch", lambda: fetch(x))`: replay gives its recorded result,
    whatever code the action calls; its own text is in the definition's digest)."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("run", "run_typed") \
                and isinstance(n.func.value, ast.Name):
            todo.extend([n.func, *n.args[:1], *(k.value for k in n.keywords if k.arg == "name")])
            continue
        for name, value in ast.iter_fields(n):
            if name in ("annotation", "returns") or value is None:
                continue
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(v for v in value if isinstance(v, ast.AST))


def _definition(model: Model, name: str) -> ast.AST | None:
    """The function or class the module binds ``name`` to at its top level, if one."""
    defined = model.module_functions.get(name)
    if defined is not None:
        return defined.node
    shared = memo(model)
    classes = shared.get("fingerprint-top-classes")
    if classes is None:
        classes = shared["fingerprint-top-classes"] = {}
        for stmt in model.tree.body:
            if isinstance(stmt, ast.ClassDef):
                classes.setdefault(stmt.name, stmt)
    return classes.get(name)


def module_binding(model: Model, name: str) -> ast.AST | None:
    """The module-level statements that bind ``name`` by assignment (`PREFIX = "x"`, also inside a
    top-level `if`, `try` or `with`: the model's `module_assignments`), as one node, or None: what a function reading the module's
    `PREFIX` computes with (`code_reach`), as a value written in place counts by it
    (`module_constant`). Kept in the model's `memo`, so one name is one node (its digest once)."""
    shared = memo(model)
    key = ("fingerprint-module-value", name)
    if key not in shared:
        bound = model.module_assignments.get(name, ())
        changed = module_mutations(model).get(name, ()) if bound else ()
        stmts = sorted(dict.fromkeys((*bound, *changed)), key=lambda s: (s.lineno, s.col_offset))
        shared[key] = stmts[0] if len(stmts) == 1 else ast.Module(body=stmts, type_ignores=[]) if stmts else None
    return shared[key]


def module_changes(model: Model, name: str, path: str) -> str:
    """`D(digest)` of the text of the module's top-level statements that change ``name`` in
    place after its assignment (`module_mutations`), named as the first of them; "" where none
    does. Their text, not the code they reach: `AGENT.handoffs.append(OTHER.name)` unchanged is
    the same change, whatever `OTHER`'s own code does. Once per name (the model's `memo`)."""
    shared = memo(model)
    key = ("fingerprint-module-changes", name)
    found = shared.get(key)
    if found is None:
        stmts = module_mutations(model).get(name)
        found = ""
        if stmts:
            ordered = sorted(stmts, key=lambda s: (s.lineno, s.col_offset))
            digest = _dump(ast.Module(body=ordered, type_ignores=[]))
            if path:
                register(digest, f"`{name}` ({path}:{ordered[0].lineno})")
            found = f"D({digest})"
        shared[key] = found
    return found


def module_mutations(model: Model) -> dict[str, list[ast.stmt]]:
    """Module-level name -> the module's top-level statements, other than its assignments, that
    change what it holds: a method called on it (`RATES.update(a=2)`), a store or `del` into it,
    or anything of that kind inside a loop (`for k in KEYS: RATES[k] = 1`, kept whole, header
    and all); a call of a module function that changes it (`fill()`), with that function. Its
    value is what those statements make of it, not its first assignment alone. Once per module
    (the model's `memo`)."""
    shared = memo(model)
    found = shared.get("fingerprint-module-mutations")
    if found is not None:
        return found
    found = shared["fingerprint-module-mutations"] = {}
    units: list[ast.stmt] = []
    stack: list[ast.stmt] = list(reversed(model.tree.body))
    while stack:  # (the statements of a top-level `if`, `try` or `with` one by one, as `module_assignments`)
        stmt = stack.pop()
        if isinstance(stmt, (ast.If, ast.Try, ast.With)):
            for handler in reversed(getattr(stmt, "handlers", ())):
                stack.extend(reversed(handler.body))
            for part in ("finalbody", "orelse", "body"):
                stack.extend(reversed(getattr(stmt, part, ())))
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            units.append(stmt)
    changes: dict[str, set[str]] = {}
    """A module function's name -> the module names it changes when called (`_changed_by`)."""
    for stmt in units:
        mutated = [name for name in _mutated(stmt) if name in model.module_assignments and stmt not in model.module_assignments[name]]
        for name in mutated:
            found.setdefault(name, []).append(stmt)
        for call in ast.walk(stmt):
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
                continue
            defined = model.module_functions.get(call.func.id)
            if defined is None:
                continue
            changed = changes.get(call.func.id)
            if changed is None:
                changed = changes[call.func.id] = _changed_by(defined.node)
            # what the function changes (`fill()`), and what the statement changes with what it
            # computes (`for p in PLANS: RATES[p] = rate_of(p)`): by the call and the function's code
            for name in (*mutated, *(n for n in changed if n in model.module_assignments)):
                have = found.setdefault(name, [])
                have.extend(s for s in (stmt, defined.node) if s not in have)
    return found


def _changed_by(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The names of its module a function changes when it runs: those it stores into, deletes
    from or calls a method of as a statement (`RATES["a"] = 1`, `RATES.update(a=1)`), and those
    it declares `global` and binds; not its parameters' or locals' (nested defs left out)."""
    declared: set[str] = set()
    local = {p.arg for p in _parameters(function.args)}
    roots: list[ast.expr] = []
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Global):
            declared.update(node.names)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
            roots.append(node.value.func.value)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and not isinstance(node.ctx, ast.Load):
            roots.append(node.value)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            local.add(node.id)
            roots.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return {name for name in _root_names(roots) if name in declared or name not in local}


def _mutated(stmt: ast.stmt) -> set[str]:
    """The names whose value a top-level statement may change in place: a method called on it
    as a statement (`RATES.update(a=2)`, not `DB = CONFIG.get("db")`, which reads it), `del`
    into it; inside a loop or other block, also any method called on it, any store into it
    and any binding of it again (`for k in KEYS: RATES[k] = 1`)."""
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return set()  # (a store into it, `RATES["a"] = 1`, is one of its `module_assignments`)
    if isinstance(stmt, ast.Expr):
        call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
        roots = [call.func.value] if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) else []
    elif isinstance(stmt, ast.Delete):
        roots = [t.value for t in stmt.targets if isinstance(t, (ast.Subscript, ast.Attribute))]
    else:
        roots = []
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                roots.append(node.func.value)
            elif isinstance(node, (ast.Subscript, ast.Attribute)) and not isinstance(node.ctx, ast.Load):
                roots.append(node.value)
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                roots.append(node)
    return _root_names(roots)


def _root_names(roots: Iterable[ast.expr]) -> set[str]:
    """The names the subscript and attribute chains start from (`RATES["a"].x` -> `RATES`)."""
    out: set[str] = set()
    for root in roots:
        while isinstance(root, (ast.Subscript, ast.Attribute)):
            root = root.value
        if isinstance(root, ast.Name):
            out.add(root.id)
    return out


def method_code(model: Model | None, node: ast.AST, path: str, imported: Imported | None = None) -> str:
    """One digest of a method's code with what it calls (`code_reach`; without a model, its own
    only), named as the method is (`code_names`): a property, a validator that calls a module's
    helper computes with that helper too."""
    if model is None:
        return code_digest(None, node, path)
    reach = code_reach(model, node, path, imported)
    if len(reach) == 1:
        return reach[0]
    return name_digest(hashlib.sha1("\0".join(reach).encode()).hexdigest()[:16], label_of(reach[0], path) or "")


_Frame = tuple[list[str], Trail]
"""A rendering under way: the renderings of the statements it read directly, and every statement it read."""


def _compact(text: str) -> str:
    """A rendering; a long one as its digest, with the code it reads (`Fingerprinter._render`)."""
    if len(text) > _LONG:
        # (the code it reads stays legible: `code_names` says which helper changed)
        return "H(" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest() + ")" + _code_read(text)
    return text


def _code_read(text: str) -> str:
    """The definitions a rendered computation reads, as their `D(digest)`s (kept beside a digest of
    the text, so `code_names` can name a helper that changed)."""
    return "".join(f"D({d})" for d in dict.fromkeys(CODE_READ.findall(text))) if "D(" in text else ""


def _dump(node: ast.AST) -> str:
    # (`ast.unparse`, not `ast.dump`: the same for the same tree, and dump's recursive inner
    # function is a reference cycle at every call)
    return hashlib.sha1(ast.unparse(node).encode("utf-8", "surrogatepass")).hexdigest()[:16]
