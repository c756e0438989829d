"""The pytest plugin (registered under `pytest11`): fixtures over :class:`Harness`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:
    from .harness import Deployment, Harness


@pytest.fixture(scope="session")
def restate_harness() -> Iterator["Harness"]:
    """Session-wide servers (started lazily); everything is torn down at the end."""
    from .harness import Harness  # imported here: the plugin loads in every pytest run

    harness = Harness()
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture(scope="module")
def restate_options() -> dict:
    """Override in a module to pass `always_replay=True` / `disable_retries=True` / `signing=True`."""
    return {}


@pytest.fixture(scope="module")
def restate_env(request: pytest.FixtureRequest, restate_harness: Any, restate_options: dict) -> Iterator["Deployment"]:
    """Deploys the module's `restate_app` fixture; the test gets a :class:`Deployment`."""
    app = request.getfixturevalue("restate_app")
    with restate_harness.deploy(app, **restate_options) as deployment:
        yield deployment
