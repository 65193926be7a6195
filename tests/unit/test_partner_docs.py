"""The reference verifier in docs/partners.md accepts what gridlink signs and refuses forgeries and stale captures."""

import re
import time
from pathlib import Path

import pytest

from shared.webhooks import new_secret, signed_headers

DOC = Path(__file__).parents[2] / "docs" / "partners.md"


def _verifier():
    block = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)[1]
    namespace: dict = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    return namespace["verify_webhook"], namespace["InvalidWebhook"]


def test_the_documented_verifier_accepts_a_message_gridlink_signed():
    verify_webhook, _ = _verifier()
    secret, body = new_secret(), b'{"specversion":"1.0","data":{"step":"org.gridlink.case.completed.v1"}}'
    headers = {k.title(): v for k, v in signed_headers(secret, "msg_1", body).items()}  # any header case
    assert verify_webhook(secret, headers, body) == "msg_1"


@pytest.mark.parametrize("tamper", ["body", "secret", "stale", "missing"])
def test_the_documented_verifier_refuses_forged_stale_and_unsigned_messages(tamper):
    verify_webhook, invalid = _verifier()
    secret, body = new_secret(), b'{"data":{}}'
    headers = signed_headers(secret, "msg_2", body, now=time.time() - (600 if tamper == "stale" else 0))
    if tamper == "missing":
        del headers["webhook-signature"]
    with pytest.raises(invalid):
        verify_webhook(new_secret() if tamper == "secret" else secret, headers,
                       body + b" " if tamper == "body" else body)
