"""The role × operation matrix and jurisdiction scopes, without a platform: a service whose matrix misses a route (or
names one it lacks) does not start; the matrix alone admits roles (no role implied); a scope is a path from the
district down, and a record lies within it only when its own path begins with it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from shared.auth import InvalidToken, Principal, Role, TokenVerifier, generate_keypair, issue_token
from shared.http.access import CurrentPrincipal, require_district_scope
from shared.http.errors import ApiError
from shared.runtime.service import ServiceSpec, create_service_app
from shared.scopes import within

PRIVATE, PUBLIC = generate_keypair()


def _spec(tmp_path: Path, matrix: str) -> ServiceSpec:
    from services.intake.adapters import tables

    router = APIRouter()

    @router.get("/v1/things/{thing_id}")
    async def thing(thing_id: int, principal: CurrentPrincipal) -> dict:
        return {"thing": thing_id, "scope": list(principal.scope)}

    @router.get("/v1/open")
    async def open_to_all() -> dict:
        return {"open": True}

    (tmp_path / "access.yaml").write_text(matrix, encoding="utf-8")
    return ServiceSpec(name="probe", title="probe", metadata=tables.metadata, tables=tables.messaging,
                       migrations=tmp_path, routers=[router], access=tmp_path / "access.yaml", handlers={})


def _app(tmp_path, matrix):
    from services.intake.settings import IntakeSettings

    return create_service_app(_spec(tmp_path, matrix), IntakeSettings.model_construct(jwt_public_key=PUBLIC,
                                                                                      public_metrics=True))


def test_a_service_whose_matrix_misses_a_route_or_names_one_it_lacks_does_not_start(tmp_path):
    with pytest.raises(RuntimeError, match=r"no entry for \['GET /v1/open'\]"):
        _app(tmp_path, "GET /v1/things/{thing_id}: [operator]\n")
    with pytest.raises(RuntimeError, match=r"entries without a route: \['DELETE /v1/things/\{thing_id\}'\]"):
        _app(tmp_path, "GET /v1/things/{thing_id}: [operator]\nGET /v1/open: public\n"
                       "DELETE /v1/things/{thing_id}: [admin]\n")
    with pytest.raises(ValueError, match="not 'everyone'"):
        _app(tmp_path, "GET /v1/things/{thing_id}: everyone\nGET /v1/open: public\n")


async def test_only_the_roles_the_matrix_names_are_admitted_and_an_administrator_is_not_implied(tmp_path):
    app = _app(tmp_path, "GET /v1/things/{thing_id}: [operator]\nGET /v1/open: public\n")

    def token(role: Role, **claims) -> dict:
        return {"Authorization": "Bearer " + issue_token(PRIVATE, role=role, jurisdiction="cn-changning", **claims)}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        nobody = await client.get("/v1/things/1")
        admin = await client.get("/v1/things/1", headers=token(Role.ADMIN))
        operator = await client.get("/v1/things/1", headers=token(Role.OPERATOR, scope=("cn-changning", "st-huayang")))
        public = await client.get("/v1/open")
    assert (nobody.status_code, nobody.json()["code"]) == (401, "unauthenticated")
    assert (admin.status_code, admin.json()["code"]) == (403, "forbidden_role")
    assert operator.status_code == 200 and operator.json()["scope"] == ["cn-changning", "st-huayang"]
    assert public.status_code == 200


def test_a_scope_runs_from_the_district_down_and_a_token_naming_another_is_refused():
    verifier = TokenVerifier(PUBLIC, issuer="gridlink", audience="gridlink")
    street = verifier.verify(issue_token(PRIVATE, role=Role.DISPATCHER, jurisdiction="cn-changning",
                                         scope=("cn-changning", "st-huayang")))
    assert (street.scope_level, street.scope_area) == ("street", "st-huayang")
    assert verifier.verify(issue_token(PRIVATE, role=Role.DISPATCHER, jurisdiction="cn-changning")).scope == (
        "cn-changning",)
    for bad in (("cn-xuhui", "st-huayang"), ("cn-changning", "a", "b", "c", "d")):
        with pytest.raises(InvalidToken):
            verifier.verify(issue_token(PRIVATE, role=Role.DISPATCHER, jurisdiction="cn-changning", scope=bad))
    with pytest.raises(ApiError) as narrow:
        require_district_scope(street)
    assert (narrow.value.status, narrow.value.code) == (403, "scope_too_narrow")


@pytest.mark.parametrize(("scope", "path", "inside"), [
    (("cn-changning",), ("cn-changning", "st-huayang", "cm-feile", "cm-feile-g1"), True),
    (("cn-changning", "st-huayang"), ("cn-changning", "st-huayang", "cm-feile", "cm-feile-g1"), True),
    (("cn-changning", "st-huayang"), ("cn-changning", "st-jiangsu", "cm-huashan", "cm-huashan-g1"), False),
    (("cn-changning", "st-huayang", "cm-feile"), ("cn-changning", "st-huayang", "cm-xiushui", "cm-xiushui-g1"),
     False),
    (("cn-changning", "st-huayang", "cm-feile"), ("cn-changning", "st-huayang"), False),  # known only to the street
    (("cn-changning",), ("cn-xuhui", "st-x", "cm-x", "g-x"), False),
])
def test_a_record_lies_within_a_scope_only_when_its_path_begins_with_it(scope, path, inside):
    assert within(scope, path) is inside
    assert Principal(subject="s", role=Role.DISPATCHER, jurisdiction=scope[0], scope=scope).covers(path) is inside


def test_the_matrix_in_docs_security_is_the_services_own():
    from gridlink.access_matrix import ROOT, with_matrix

    document = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert with_matrix(document) == document, "run `gridlink access-matrix`"
