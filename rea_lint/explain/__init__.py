"""`rea explain`: a [570 Journal mismatch] mapped back to the line of code and its likely cause.

- `text`: the error text from a file or stdin, read with a bound and decoded by its BOM;
- `message`: the mismatch read out of any text the server, SDK, CLI or UI prints;
- `admin`: the mismatch and the recorded journal of an invocation, over the admin SQL API;
- `since`: the deployed code `--since` names, and which of its files cannot be parsed;
- `core`: the journal index mapped to the current code (`rea_lint.journal`) and the cause;
- `command`: the `rea explain` command line.

Standard library only (no HTTP client, never restate-sdk).
"""
