"""The in-memory RunSource of tests/unit/ui/fakes.py as the ``source`` fixture."""

import pytest

from tests.unit.ui.fakes import FakeSource, fake_source


@pytest.fixture
def source() -> FakeSource:
    return fake_source()
