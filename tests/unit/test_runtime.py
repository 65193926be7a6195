"""Settings stop a bad start with the variable's name; Kafka clients are configured explicitly; tokens are pinned."""

from datetime import timedelta

import pytest

from services.intake.settings import IntakeSettings
from services.notification.settings import NotificationSettings
from shared.auth import InvalidToken, Role, TokenVerifier, generate_keypair, issue_token
from shared.messaging.kafka import consumer_settings, producer_settings

PRIVATE, PUBLIC = generate_keypair()


def test_a_missing_or_wrong_setting_stops_the_start_naming_the_variable(monkeypatch):
    for name in ("INTAKE_DATABASE_URL", "INTAKE_KAFKA_BOOTSTRAP_SERVERS", "INTAKE_JWT_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTAKE_PORT", "eighty")
    with pytest.raises(SystemExit) as stopped:
        IntakeSettings.load()
    message = str(stopped.value)
    for name in ("INTAKE_DATABASE_URL is missing", "INTAKE_KAFKA_BOOTSTRAP_SERVERS is missing",
                 "INTAKE_JWT_PUBLIC_KEY is missing", "INTAKE_PORT is invalid"):
        assert name in message


def test_settings_are_read_with_each_services_own_prefix(monkeypatch):
    monkeypatch.setenv("NOTIFICATION_DATABASE_URL", "postgresql://db/notification")
    monkeypatch.setenv("NOTIFICATION_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("NOTIFICATION_JWT_PUBLIC_KEY", PUBLIC)
    monkeypatch.setenv("INTAKE_PORT", "9999")
    settings = NotificationSettings.load()
    assert settings.port == 8004 and settings.kafka_idempotence is True
    monkeypatch.setenv("NOTIFICATION_DATABASE_URL", "mysql://db/notification")
    with pytest.raises(SystemExit, match="NOTIFICATION_DATABASE_URL is invalid"):
        NotificationSettings.load()


def test_producers_wait_for_all_replicas_and_idempotence_follows_the_setting():
    kafka = producer_settings("k:9092", idempotence=True, client_id="x")
    tansu = producer_settings("k:9092", idempotence=False, client_id="x")
    assert kafka["acks"] == tansu["acks"] == "all"
    assert kafka["enable_idempotence"] is True and tansu["enable_idempotence"] is False


def test_consumers_commit_by_hand_and_new_groups_start_from_the_earliest_offset():
    settings = consumer_settings("k:9092", group_id="gridlink-intake", client_id="x")
    assert settings["enable_auto_commit"] is False
    assert settings["auto_offset_reset"] == "earliest"
    assert settings["group_id"] == "gridlink-intake"


def test_a_token_is_verified_with_the_configured_key_and_its_claims_become_a_principal():
    verifier = TokenVerifier(PUBLIC, issuer="gridlink", audience="gridlink")
    token = issue_token(PRIVATE, role=Role.UNIT_STAFF, jurisdiction="cn-changning", unit_id="cc-feile")
    principal = verifier.verify(token)
    assert (principal.role, principal.jurisdiction, principal.unit_id) == (Role.UNIT_STAFF, "cn-changning", "cc-feile")


@pytest.mark.parametrize("token", [
    issue_token(PRIVATE, role=Role.ADMIN, jurisdiction="x", ttl=timedelta(seconds=-5)),
    issue_token(PRIVATE, role=Role.ADMIN, jurisdiction="x", audience="someone-else"),
    issue_token(PRIVATE, role=Role.ADMIN, jurisdiction="x", issuer="someone-else"),
    issue_token(generate_keypair()[0], role=Role.ADMIN, jurisdiction="x"),
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
])
def test_an_expired_foreign_or_unsigned_token_is_refused(token):
    with pytest.raises(InvalidToken):
        TokenVerifier(PUBLIC, issuer="gridlink", audience="gridlink").verify(token)


async def test_a_database_outage_answers_503_with_retry_after_not_500():
    from sqlalchemy.exc import OperationalError
    from starlette.requests import Request

    from shared.http.errors import _on_unexpected

    request = Request({"type": "http", "method": "GET", "path": "/v1/x", "headers": [], "query_string": b""})
    response = await _on_unexpected(request, OperationalError("SELECT 1", {}, ConnectionRefusedError()))
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert b'"database_unavailable"' in response.body
    response = await _on_unexpected(request, ZeroDivisionError())
    assert response.status_code == 500 and b"ZeroDivisionError" not in response.body


def test_no_log_line_carries_sql_parameters_or_a_number_however_it_got_there(capsys):
    import json
    import logging

    import structlog

    from shared.runtime.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("test")
        log = structlog.get_logger("test.personal-data")
        try:
            raise ValueError("(psycopg.DataError) invalid byte sequence\n[SQL: INSERT INTO reporters (name, phone) "
                             "VALUES ($1, $2)]\n[parameters: ('王秀英', '13812345678')]\n(Background on this error)")
        except ValueError:
            log.error("report failed", note="联系人李红梅回电 139 1234 5678", exc_info=True)
        logging.getLogger("uvicorn.error").warning("caller gave 021-62251234")
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    finally:
        structlog.reset_defaults()
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    text = json.dumps(lines, ensure_ascii=False)
    assert len(lines) == 2 and "王秀英" not in text and "13812345678" not in text and "1234 5678" not in text
    assert "李红梅" not in text and "李*梅" in text
    assert "62251234" not in text and "[parameters: left out]" in text and "139****5678" in text


async def test_metrics_are_public_only_where_the_setting_says_so_and_otherwise_need_a_scrapers_token():
    from types import SimpleNamespace

    import httpx

    from services.intake.service import SPEC
    from services.intake.settings import IntakeSettings
    from shared.runtime.service import create_service_app

    async def no_backlog() -> int:
        return 0

    for public in (False, True):
        settings = IntakeSettings.model_construct(jwt_public_key=PUBLIC, public_metrics=public)
        app = create_service_app(SPEC, settings)
        app.state.runtime = SimpleNamespace(relay=SimpleNamespace(backlog=no_backlog), consumer=None)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            anonymous = await client.get("/metrics")
            unit = await client.get("/metrics", headers={"Authorization": "Bearer " + issue_token(
                PRIVATE, role=Role.UNIT_STAFF, jurisdiction="cn-changning", unit_id="cc-feile")})
            scraper = await client.get("/metrics", headers={"Authorization": "Bearer " + issue_token(
                PRIVATE, role=Role.SERVICE, jurisdiction="cn-changning", subject="service:prometheus")})
        if public:
            assert anonymous.status_code == 200 and "gridlink_http_requests_total" in anonymous.text
        else:
            assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")
            assert (unit.status_code, unit.json()["code"]) == (403, "forbidden_role")
        assert scraper.status_code == 200


async def test_errors_are_in_chinese_with_english_beside_them_unless_the_caller_prefers_english():
    import httpx
    from fastapi import FastAPI

    from shared.http.errors import ApiError, install_error_handlers
    from shared.http.messages import preferred_language
    from shared.http.middleware import RequestContext

    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestContext)

    @app.get("/track")
    async def track() -> dict:
        raise ApiError(401, "phone_last4_required", "give the last four digits of the reporter's phone", "phone_last4")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        plain = (await client.get("/track")).json()
        english = (await client.get("/track", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})).json()
    assert plain["message"] == "请输入报事人手机或电话号码的后四位" and plain["message_en"].startswith("give the last")
    assert english["message"].startswith("give the last") and "message_en" not in english
    assert (english["code"], english["field"]) == (plain["code"], plain["field"]) == ("phone_last4_required",
                                                                                     "phone_last4")
    assert [preferred_language(h) for h in ("", "zh-CN", "en", "fr, en;q=0.5", "en;q=0.4, zh;q=0.8")] == [
        "zh", "zh", "en", "en", "zh"]


def test_every_refusal_the_services_give_has_its_chinese_message():
    """Errors are read in Chinese by default: a new refusal code without its wording fails here."""
    import re
    from pathlib import Path

    from shared.http.messages import MESSAGES_ZH

    root = Path(__file__).parents[2]
    codes = {m[1] for path in [*root.glob("services/**/*.py"), *root.glob("shared/**/*.py")]
             for m in re.finditer(r'(?:Refused|ApiError|Refusal)\(\s*(?:\d{3},\s*)?"([a-z_]+)"',
                                  path.read_text(encoding="utf-8"))}
    assert len(codes) > 50 and sorted(codes - set(MESSAGES_ZH)) == []
