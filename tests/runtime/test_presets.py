"""Presets expand into the SDK's own options; every contradiction fails at import, naming field and fix."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import restate

import rea_runtime
from rea_runtime.presets import DEFAULT, HIGH_VOLUME, PRESETS, PRODUCTION, ConfigurationError, Preset, preset


def test_named_presets_expand_into_sdk_options() -> None:
    assert set(PRESETS) == {"default", "high-volume", "production"}
    opts = PRODUCTION.options("object")
    assert opts["journal_retention"] == timedelta(days=7)
    assert isinstance(opts["invocation_retry_policy"], restate.InvocationRetryPolicy)
    assert opts["invocation_retry_policy"].on_max_attempts == "pause"
    assert DEFAULT.options("service") == {}
    restate.VirtualObject("PresetSmoke", **HIGH_VOLUME.options("object"))  # the SDK accepts them


def test_override_is_one_keyword() -> None:
    p = preset("production", journal_retention=timedelta(days=3))
    assert p.journal_retention == timedelta(days=3) and p.name == "production"
    assert preset("high_volume") is HIGH_VOLUME
    merged = PRODUCTION.with_(retry={"max_attempts": 3})
    assert merged.retry is not None and merged.retry.max_attempts == 3
    assert merged.retry.initial_interval == timedelta(seconds=1)  # the rest of the retry policy kept


@pytest.mark.parametrize(
    ("fields", "names"),
    [
        ({"journal_retention": timedelta(days=30)}, ("journal_retention (30 days, 0:00:00)", "idempotency_retention (7 days, 0:00:00)", "fix: idempotency_retention >= 30 days")),
        ({"inactivity_timeout": timedelta(seconds=-5)}, ("inactivity_timeout", "fix: a duration >= 0")),
        ({"journal_retension": timedelta(days=1)}, ("'journal_retension'", "did you mean 'journal_retention'")),
        ({"retry": {"max_attempts": 0, "on_max_attempts": "kill"}, "payment": True}, ("retry.max_attempts", "fix:")),
        ({"retry": {"on_max_attempts": "kill"}, "payment": True}, ("on_max_attempts", "payment", "fix: on_max_attempts='pause'")),
        ({"retry": {"initial_interval": timedelta(minutes=2), "max_interval": timedelta(seconds=1)}}, ("retry.max_interval",)),
        ({"state_budget_bytes": 0}, ("state_budget_bytes",)),
    ],
)
def test_contradictions_name_the_field_and_the_fix(fields: dict, names: tuple[str, ...]) -> None:
    with pytest.raises(ConfigurationError) as err:
        preset("production", **fields)
    for name in names:
        assert name in str(err.value)


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="high-volume"):
        preset("prod")


def test_drop_in_merges_preset_and_explicit_options() -> None:
    obj = rea_runtime.VirtualObject("PresetObj", preset="production", journal_retention=timedelta(days=2))
    assert obj.journal_retention == timedelta(days=2)  # explicit SDK option wins
    assert obj.idempotency_retention == timedelta(days=7)
    assert obj.invocation_retry_policy.max_attempts == 30


def test_drop_in_rejects_contradictions_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="Service 'Pay'.*journal_retention"):
        rea_runtime.Service("Pay", preset="production", journal_retention=timedelta(days=8))
    with pytest.raises(ConfigurationError, match="on_max_attempts"):
        rea_runtime.Service("Pay", preset=preset("production", payment=True),
                            invocation_retry_policy=restate.InvocationRetryPolicy(on_max_attempts="kill"))
    with pytest.raises(ConfigurationError, match="abort_timeout"):
        rea_runtime.Service("Neg", abort_timeout=timedelta(seconds=-1))  # checked without a preset too
    with pytest.raises(ConfigurationError, match="state_preload"):
        rea_runtime.Service("NoState", preset=preset("default", state_preload=False))


def test_handler_options_are_checked_against_the_service() -> None:
    svc = rea_runtime.Service("PresetHandlers", preset="production")
    with pytest.raises(ConfigurationError, match="handler options.*journal_retention"):
        svc.handler(journal_retention=timedelta(days=8))


def test_a_misconfigured_module_fails_at_import() -> None:
    with pytest.raises(ConfigurationError, match="idempotency_retention"):
        from tests.runtime.defs import misconfigured  # noqa: F401


def test_preset_is_frozen() -> None:
    with pytest.raises(Exception):
        PRODUCTION.journal_retention = None  # type: ignore[misc]
    assert isinstance(Preset.build(name="x"), Preset)


@pytest.mark.parametrize("fields,message", [
    ({"state_total_budget_bytes": 0}, "state_total_budget_bytes is 0; fix: a positive byte count"),
    ({"state_budget_bytes": 100, "state_total_budget_bytes": 50},
     "state_total_budget_bytes (50) is below state_budget_bytes (100)"),
])
def test_total_state_budget_is_validated(fields, message):
    from rea_runtime.presets import ConfigurationError

    with pytest.raises(ConfigurationError, match=re.escape(message)):
        rea_runtime.preset("high-volume", **fields)


@pytest.mark.parametrize("value", [timedelta(0), timedelta(seconds=-1)])
def test_workflow_retention_must_be_positive(value):
    with pytest.raises(ConfigurationError, match="workflow_retention is .*fix: a positive duration"):
        rea_runtime.preset("production", workflow_retention=value)
    wf = rea_runtime.Workflow(f"BadRetention{int(value.total_seconds())}")
    with pytest.raises(ConfigurationError, match="workflow_retention is .*fix: a positive duration"):
        wf.main(workflow_retention=value)


MS = timedelta(milliseconds=1)


@pytest.mark.parametrize(("fields", "parts"), [
    ({"idempotency_retention": timedelta(0)}, ("idempotency_retention is 0:00:00", "would run again", "at least 1 ms")),
    ({"idempotency_retention": MS / 2}, ("idempotency_retention is 0:00:00.000500", "whole milliseconds")),
    ({"workflow_retention": MS / 2}, ("workflow_retention is 0:00:00.000500", "at least 1 ms")),
    ({"journal_retention": MS / 2}, ("journal_retention is 0:00:00.000500", "would get 0", "fix: 0 to keep no journal")),
    ({"journal_retention": timedelta(days=8)}, ("journal_retention (8 days, 0:00:00)", "idempotency_retention (7 days, 0:00:00)",
                                                "fix: idempotency_retention >= 8 days, 0:00:00, or journal_retention <= 7 days")),
    ({"workflow_retention": timedelta(days=2)}, ("journal_retention (7 days, 0:00:00) is longer than workflow_retention (2 days, 0:00:00)",
                                                 "a workflow's run", "fix: workflow_retention >= 7 days")),
    ({"journal_retention": timedelta(days=7_304_485), "idempotency_retention": timedelta(days=7_304_485)},
     ("journal_retention is 7304485 days", "fix: at most timedelta(days=7304484)")),
    ({"workflow_retention": timedelta.max}, ("workflow_retention is 999999999 days", "at most timedelta(days=7304484)")),
])
def test_retention_is_positive_ordered_and_within_the_server_limit(fields, parts):
    with pytest.raises(ConfigurationError) as err:
        preset("production", **fields)
    message = str(err.value)
    assert "\n" not in message and message.startswith("preset 'production': ")
    for part in parts:
        assert part in message, message


def test_retention_that_is_valid_passes():
    p = preset("high-volume", journal_retention=timedelta(0), idempotency_retention=MS,
               workflow_retention=timedelta(days=7_304_484))
    assert (p.journal_retention, p.idempotency_retention) == (timedelta(0), MS)
    assert preset("production", journal_retention=timedelta(days=1)).idempotency_retention == timedelta(days=7)


def test_run_options_are_checked_against_the_workflows_journal():
    wf = rea_runtime.Workflow("RetRunOptions", preset="production")
    with pytest.raises(ConfigurationError, match=re.escape("journal_retention (7 days, 0:00:00) is longer than workflow_retention (1 day, 0:00:00)")):
        wf.main(workflow_retention=timedelta(days=1))
    wf.main(workflow_retention=timedelta(days=1), journal_retention=timedelta(hours=12))  # the run's own journal
    plain = rea_runtime.Workflow("RetRunOptionsPlain", journal_retention=timedelta(days=2))
    with pytest.raises(ConfigurationError, match="journal_retention .* workflow_retention"):
        plain.main(workflow_retention=timedelta(days=1))


@pytest.mark.parametrize("factor", [float("nan"), float("inf")])
def test_a_non_finite_retry_factor_is_refused(factor: float) -> None:
    """`nan < 1` is False: it passed, and discovery failed on JSON that has no NaN or infinity."""
    with pytest.raises(ConfigurationError, match=r"retry.exponentiation_factor is (nan|inf); .*no NaN or "
                                                 r"infinity.*fix: a finite factor >= 1"):
        preset("production", retry={"exponentiation_factor": factor})


def _discovery(service) -> dict:
    """restate-sdk's own discovery document for one service (what the server registers)."""
    import json

    from restate.discovery import compute_discovery_json
    from restate.endpoint import Endpoint

    endpoint = Endpoint()
    endpoint.bind(service)
    return json.loads(compute_discovery_json(endpoint, 5, "bidi"))["services"][0]


def _obj_handler(svc):
    @svc.handler()
    async def h(ctx: restate.ObjectContext) -> None:
        pass


@pytest.mark.parametrize(("build", "parts"), [
    (lambda: rea_runtime.Service("IntTimeout", inactivity_timeout=5),
     ("Service 'IntTimeout': inactivity_timeout: must be a datetime.timedelta", "got 5 (int)",
      "fix: inactivity_timeout=timedelta(seconds=5)")),
    (lambda: rea_runtime.VirtualObject("IntRetention", journal_retention=60),
     ("VirtualObject 'IntRetention': journal_retention", "fix: journal_retention=timedelta(seconds=60)")),
    (lambda: rea_runtime.Service("IntHandler").handler(inactivity_timeout=2.5),
     ("Service 'IntHandler' handler options: inactivity_timeout", "fix: inactivity_timeout=timedelta(seconds=2.5)")),
    (lambda: rea_runtime.Workflow("IntRun").main(workflow_retention=5),
     ("Workflow 'IntRun' run options: workflow_retention", "fix: workflow_retention=timedelta(seconds=5)")),
    (lambda: rea_runtime.Service("DictRetry", invocation_retry_policy={"max_attempts": 3}),
     ("invocation_retry_policy must be a restate.InvocationRetryPolicy, got {'max_attempts': 3} (dict)",
      "fix: invocation_retry_policy=restate.InvocationRetryPolicy(max_attempts=3)")),
    (lambda: rea_runtime.Service("IntRetry", invocation_retry_policy=restate.InvocationRetryPolicy(initial_interval=5)),
     ("retry.initial_interval: must be a datetime.timedelta", "fix: initial_interval=timedelta(seconds=5)")),
    (lambda: rea_runtime.VirtualObject("StrLazy", enable_lazy_state="yes"),
     ("VirtualObject 'StrLazy': enable_lazy_state must be True or False, got 'yes' (str)",)),
    (lambda: preset("production", abort_timeout=600),
     ("preset 'production': abort_timeout", "fix: abort_timeout=timedelta(seconds=600)")),
])
def test_durations_and_retry_policies_the_sdk_cannot_send_are_refused_at_the_call(build, parts) -> None:
    """rea read 5 as 5 s but handed the int to restate-sdk, whose discovery then crashed
    (`'int' object has no attribute 'total_seconds'`): the service could never be registered."""
    with pytest.raises(ConfigurationError) as err:
        build()
    for part in parts:
        assert part in str(err.value), str(err.value)


def test_what_the_check_accepts_reaches_the_sdks_discovery() -> None:
    obj = rea_runtime.VirtualObject("DiscoveredOptions", preset="production", inactivity_timeout=timedelta(seconds=5),
                                    invocation_retry_policy=restate.InvocationRetryPolicy(exponentiation_factor=3.0))
    _obj_handler(obj)
    doc = _discovery(obj)
    assert doc["inactivityTimeout"] == 5000 and doc["journalRetention"] == 7 * 24 * 3600 * 1000
    assert doc["retryPolicyExponentiationFactor"] == 3.0


@pytest.mark.parametrize(("fields", "fix"), [
    ({"inactivity_timeout": "5s"}, "fix: a datetime.timedelta, e.g. inactivity_timeout=timedelta(seconds=30)"),
    ({"state_budget_bytes": float("nan")}, "fix: a positive whole number of bytes"),
    ({"retry": 5}, "fix: a dict of retry fields (initial_interval, "),
    ({"retry": {"on_max_attempts": "explode"}}, "got 'explode' (str); fix: 'pause' or 'kill'"),
    ({"retry": {"max_attemps": 3}}, "retry: unknown option 'max_attemps'; fix: did you mean 'max_attempts'?"),
    ({"ingress_private": 1}, "got 1 (int); fix: True or False"),
])
def test_a_wrongly_typed_field_names_a_fix_that_works(fields: dict, fix: str) -> None:
    """pydantic's errors used to end in "fix: '5s' is not valid there", which fixes nothing."""
    with pytest.raises(ConfigurationError) as err:
        preset("production", **fields)
    assert fix in str(err.value) and "not valid there" not in str(err.value), str(err.value)


def test_a_preset_built_directly_fails_like_any_other() -> None:
    """`Preset(...)` / `RetryPolicy(...)` raised pydantic's raw multi-line ValidationError."""
    from rea_runtime.presets import RetryPolicy

    with pytest.raises(ConfigurationError) as err:
        Preset(inactivity_timeout=timedelta(seconds=-1))
    assert str(err.value) == "Preset: inactivity_timeout is -0:00:01; fix: a duration >= 0 (or None for the server default)"
    with pytest.raises(ConfigurationError, match="^Preset: unknown option 'journal_retension'; fix: did you mean"):
        Preset(journal_retension=timedelta(days=1))
    with pytest.raises(ConfigurationError, match="^RetryPolicy: retry.max_attempts is 0"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ConfigurationError, match="^Preset: retry.max_attempts is 0"):
        Preset(retry={"max_attempts": 0})  # the nested message is not wrapped twice
    assert Preset(name="x", retry=RetryPolicy(max_attempts=3)).retry == RetryPolicy(max_attempts=3)


def test_a_preset_that_is_neither_a_name_nor_a_preset_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="preset must be a preset name or a rea_runtime.presets.Preset, got "
                                        ".*fix: one of 'default', 'high-volume', 'production'"):
        preset(None)
    with pytest.raises(TypeError, match=re.escape("Service 'IntPreset': preset is a preset name (default, high-volume, "
                                                  "production) or a rea_runtime.Preset, got the int 5; fix: preset=\"production\"")):
        rea_runtime.Service("IntPreset", preset=5)  # (the drop-in names itself)


def test_state_preload_takes_the_sdks_list_of_keys() -> None:
    """restate-sdk's state_preload is a bool or the keys to preload; rea refused the list."""
    obj = rea_runtime.VirtualObject("PreloadKeys", preset="production", state_preload=["cart"])
    _obj_handler(obj)
    doc = _discovery(obj)
    assert (doc["enableLazyState"], doc["eagerStateKeysWhitelist"]) == (True, ["cart"])
    assert preset("production", state_preload=["cart"]).options("object")["state_preload"] == ["cart"]
    with pytest.raises(ConfigurationError, match=r"state_preload: is neither a bool nor a list of state keys, "
                                                 r"got \[1\] \(list\); fix: state_preload=True, False, or"):
        rea_runtime.VirtualObject("PreloadInts", state_preload=[1])
