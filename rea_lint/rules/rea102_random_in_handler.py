"""REA102 random-in-handler: unseeded randomness in handler code differs on every replay."""

from __future__ import annotations

import ast

from rea_lint.rules.base import CallRule

_HEADER = "import restate, random\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"

# Module functions that do not draw randomness.
_RANDOM_EXEMPT = frozenset({"random.seed", "random.getstate", "random.setstate"})


class RandomInHandler(CallRule):
    transitive = True
    code = "REA102"
    targets = frozenset(
        {
            "random.SystemRandom",
            "secrets.token_bytes",
            "secrets.token_hex",
            "secrets.token_urlsafe",
            "secrets.choice",
            "secrets.randbelow",
            "secrets.randbits",
            "secrets.SystemRandom",
            "os.urandom",
        }
    )
    prefixes = ("random.", "numpy.random.")

    @classmethod
    def allows(cls, qualname: str, call: ast.Call) -> bool:
        if qualname in _RANDOM_EXEMPT:
            return True
        if qualname == "random.Random":
            # random.Random(seed) is deterministic; random.Random() / Random(None) seed from the OS
            seed = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("x", "seed")), None)
            return seed is not None and not (isinstance(seed, ast.Constant) and seed.value is None)
        return False

    invalid = (
        _HEADER + "    return random.randint(1, 6)\n",
        _HEADER + "    return random.Random().random()\n",
        "import restate, secrets\n@restate.Service('s').handler()\nasync def h(ctx: restate.Context):\n    return secrets.token_hex(8)\n",
        "import restate\nimport numpy as np\nasync def h(ctx: restate.Context):\n    return np.random.rand()\n",
    )
    valid = (
        _HEADER + "    return ctx.random().randint(1, 6)\n",
        _HEADER + "    return random.Random(42).random()\n",
        _HEADER + "    return await ctx.run_typed('roll', random.random)\n",
        "import restate, secrets\nasync def h(ctx: restate.Context, a: str, b: str):\n    return secrets.compare_digest(a, b)\n",
    )
