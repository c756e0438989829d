"""A helper module of the corpus (no services), in v2 only: `greeting` moved here from
`shared_text.py` as it was (p156)."""


def greeting(name: str) -> str:
    return "hello " + name
