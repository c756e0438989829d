"""A helper module of the corpus (no services): p127 imports `label`, whose body v2 changes."""


def label(name: str) -> str:
    return "Order " + name
