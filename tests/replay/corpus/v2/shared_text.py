"""A helper module of the corpus (no services): p127 imports `label`, whose body v2 changes; p149
imports `shout`, whose body stays and calls `_loud`, whose body v2 changes; p153's validator calls
`tidy`, whose body v2 changes; p156 imports `greeting`, which v2 moves to `shared_moved.py`
unchanged."""


def label(name: str) -> str:
    return "order " + name


def _loud(name: str) -> str:
    return name.lower()


def shout(name: str) -> str:
    return _loud(name) + "!"


def tidy(name: str) -> str:
    return name.strip().lower()
