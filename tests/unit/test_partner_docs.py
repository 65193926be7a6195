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


@pytest.mark.parametrize("timestamp", ["²", "٣٠٠", "9" * 5000, "-1", "1e9", " 1700000000", "17000000.5", "0x10", ""])
def test_the_documented_verifier_and_gridlinks_own_refuse_every_malformed_timestamp_with_their_own_error(timestamp):
    from shared.webhooks import WebhookRejected, verify

    verify_webhook, invalid = _verifier()
    secret, body = new_secret(), b'{"data":{}}'
    headers = {**signed_headers(secret, "msg_3", body), "webhook-timestamp": timestamp}
    with pytest.raises(invalid):
        verify_webhook(secret, headers, body)
    with pytest.raises(WebhookRejected):
        verify(secret, headers, body)


def test_a_signature_in_any_characters_is_refused_with_the_verifiers_own_error():
    from shared.webhooks import WebhookRejected, verify

    verify_webhook, invalid = _verifier()
    secret, body = new_secret(), b'{"data":{}}'
    headers = {**signed_headers(secret, "msg_4", body), "webhook-signature": "v1,签名"}
    with pytest.raises(invalid):
        verify_webhook(secret, headers, body)
    with pytest.raises(WebhookRejected):
        verify(secret, headers, body)
