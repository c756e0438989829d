"""What `from restate import *` (and `from rea_runtime import *`) binds, without importing them.

rea_lint never imports restate-sdk, so the names are listed here: restate-sdk's
`restate.__all__` and rea_runtime's. A test compares them with the installed packages, so
an SDK upgrade that changes the list fails the suite instead of silently missing names.
Star imports from other modules bind names rea cannot know; those names stay unresolved
(rules stay silent rather than guess).
"""

from __future__ import annotations

__all__ = ["STAR_EXPORTS"]

RESTATE = (
    "Service", "VirtualObject", "Workflow", "Context", "ObjectContext", "ObjectSharedContext",
    "WorkflowContext", "WorkflowSharedContext", "DurablePromise", "RestateDurableFuture",
    "RestateDurableCallFuture", "RestateDurableSleepFuture", "SendHandle", "ScopedContext",
    "RunOptions", "TerminalError", "JournalValueCodec", "JournalValueCodecProvider", "app",
    "connect", "with_connection", "ConnectError", "create_test_harness", "test_harness",
    "HarnessEnvironment", "gather", "as_completed", "wait_completed", "select", "logging",
    "RestateLoggingFilter", "InvocationRetryPolicy", "SdkInternalBaseException",
    "is_internal_exception", "getLogger", "RestateClient", "RestateClientSendHandle",
    "HttpError", "create_client",
)  # fmt: skip
"""`restate.__all__` of restate-sdk 1.3.0."""

REA_RUNTIME = (
    "Service", "VirtualObject", "Workflow", "guarded", "configure", "current_policy", "Policy",
    "GuardedContext", "State", "Saga", "TypeAdapterSerde", "run", "run_typed", "app",
    "DefinitionError", "ConfigurationError", "Preset", "preset", "presets", "deterministic",
    "saga", "workflow", "concurrency",
)  # fmt: skip
"""`rea_runtime.__all__`."""

STAR_EXPORTS: dict[str, tuple[str, ...]] = {"restate": RESTATE, "rea_runtime": REA_RUNTIME}
"""Module -> the names `from <module> import *` binds."""
