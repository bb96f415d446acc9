"""One running stack (Rasa server + action server) for all end-to-end tests, on ports of its own
so it does not collide with a `make run` on the same machine."""
from __future__ import annotations

import uuid

import pytest

from devstack.config import StackConfig
from devstack.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    config = StackConfig(rasa_port=5105, action_port=5155, var_dir=tmp_path_factory.mktemp("var"))
    with Stack(config) as running:
        yield running


@pytest.fixture
def customer() -> str:
    """A fresh conversation id per test."""
    return f"e2e-{uuid.uuid4().hex[:12]}"
