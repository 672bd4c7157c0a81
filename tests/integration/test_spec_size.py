"""ValidateSpec reads a bounded prefix of the object, but reports the file's real size (moto)."""

from __future__ import annotations

import pytest
from tunepilot.exceptions import SpecInvalid

from tests.integration.test_handlers import result_run_id, validate


@pytest.mark.parametrize("size", [256 * 1024 + 1, 3 * 1024 * 1024], ids=["one-byte-over", "three-mib"])
def test_the_size_limit_message_states_the_real_size(stack, lambda_context, size):
    detail = stack.put_spec(b"#" * size)
    with pytest.raises(SpecInvalid):
        validate(stack, detail, lambda_context)
    report = stack.get_json(f"runs/{result_run_id(detail)}/validation.json")
    assert f"file is {size:,} bytes" in report["errors"][0]["message"]
