"""Who may see and do what, on the running platform: every route of every service called with every role and with no
token answers as its service's matrix (``api/access.yaml``) says; staff of a street see their street's cases, never
a neighbour's, in each of the four services; and a bounded, seeded schemathesis run against each service, with an
administrator's token and with none, finds no server error, no status its OpenAPI document leaves out, and no
route that ignores its authentication."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
import yaml

from shared.auth import Role
from tests.e2e.client import HUAYANG, JIANGSU, bearer, case_of, problem, report, wait_for

SERVICES = ("intake", "dispatch", "supervision", "notification")
OPERATIONS = {"GET /healthz", "GET /readyz", "GET /metrics"}
ROOT = Path(__file__).resolve().parents[2]


def _matrix(service: str) -> dict:
    return yaml.safe_load((ROOT / "services" / service / "api" / "access.yaml").read_text(encoding="utf-8"))


def _value(schema: dict, name: str):
    """A value of the right type for a path parameter, naming nothing that exists."""
    if schema.get("format") == "uuid":
        return str(uuid4())
    if schema.get("type") == "integer":
        return str(max(1, schema.get("minimum", 1)))
    if name == "fmt":
        return "json"
    if name == "year":
        return "2026"
    return "x" + uuid4().hex[:6]


def _operations(openapi: dict):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            params = {p["name"]: _value(p.get("schema", {}), p["name"]) for p in operation.get("parameters", [])
                      if p["in"] == "path"}
            yield f"{method.upper()} {path}", re.sub(r"\{(\w+)\}", lambda m: params.get(m[1], "x"), path)


@pytest.fixture(scope="module")
def tokens(platform) -> dict:
    return {role: bearer(platform.token(role.value, unit="cn-construction" if role is Role.UNIT_STAFF else None))
            for role in Role}


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_answers_every_role_and_no_token_as_the_matrix_says(platform, tokens, service):
    matrix = _matrix(service)
    openapi = httpx.get(f"{platform.url(service)}/openapi.json", timeout=10).json()
    operations = dict(_operations(openapi))
    # A route without an entry (or an entry without a route) fails here, as it stops the service from starting.
    assert operations.keys() - OPERATIONS == matrix.keys(), operations.keys() ^ matrix.keys()
    wrong = []
    client = httpx.Client(base_url=platform.url(service), timeout=20)  # one connection, kept alive
    for operation, url in operations.items():
        if operation in OPERATIONS:
            continue
        method, _ = operation.split(" ", 1)
        entry = matrix[operation]
        for role, headers in [(None, {}), *tokens.items()]:
            body = {} if method in ("POST", "PUT") else None
            answer = client.request(method, url, headers=headers, json=body)
            body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else None
            code = body.get("code") if isinstance(body, dict) and answer.status_code >= 400 else None
            if answer.status_code >= 500:
                wrong.append(f"{operation} as {role}: {answer.status_code}")
            elif isinstance(entry, list):
                admitted = role is not None and role.value in entry
                if role is None and answer.status_code != 401:
                    wrong.append(f"{operation} with no token: {answer.status_code}, not 401")
                elif role is not None and not admitted and (answer.status_code, code) != (403, "forbidden_role"):
                    wrong.append(f"{operation} as {role}: {answer.status_code} {code}, not 403 forbidden_role")
                elif admitted and (answer.status_code == 401 or code == "forbidden_role"):
                    wrong.append(f"{operation} as {role}: refused ({answer.status_code} {code}) though admitted")
            elif entry == "public":
                if answer.status_code == 401 or code == "forbidden_role":
                    wrong.append(f"{operation} as {role}: {answer.status_code} {code}, though public")
            elif answer.status_code not in (401, 403):  # api_key, certificate: a bearer token is not that credential
                wrong.append(f"{operation} as {role}: {answer.status_code}, without its {entry}")
    client.close()
    assert not wrong, "\n".join(wrong)


def test_staff_of_a_street_see_their_streets_cases_and_never_a_neighbours_in_every_service(platform):
    huayang = case_of(platform, report(platform, location=HUAYANG, description="华阳路一处窨井盖缺失"))
    jiangsu = case_of(platform, report(platform, location=JIANGSU, description="江苏路一处窨井盖缺失"))
    district = bearer(platform.token("dispatcher"))
    urls = {"intake": "/v1/cases/{}", "dispatch": "/v1/cases/{}", "supervision": "/v1/cases/{}/timeline",
            "notification": "/v1/cases/{}/deliveries"}

    def status(service: str, case_id: str, headers: dict) -> int:
        return httpx.get(platform.url(service) + urls[service].format(case_id), headers=headers, timeout=10).status_code

    for service in ("dispatch", "supervision", "notification"):  # each service learns of the cases from the broker
        for case_id in (huayang, jiangsu):
            wait_for(lambda: status(service, case_id, district), lambda s: s == 200)
    street = {role: bearer(platform.token(role, area="st-huayang")) for role in ("dispatcher", "supervisor")}
    for service in SERVICES:
        headers = street["supervisor" if service == "supervision" else "dispatcher"]
        assert (status(service, huayang, headers), status(service, jiangsu, headers)) == (200, 404), service
        assert (status(service, huayang, district), status(service, jiangsu, district)) == (200, 200), service
    # A community is narrower still: a case of another community of the same street is not its.
    feile = bearer(platform.token("dispatcher", area="cm-feile"))
    assert status("dispatch", huayang, feile) == 404
    assert status("dispatch", huayang, bearer(platform.token("dispatcher", area="cm-xiushui"))) == 200
    # Lists too: the street's linkage centre reads, of a unit's queue, its own street's cases only.
    lead = wait_for(lambda: httpx.get(f"{platform.url('dispatch')}/v1/cases/{jiangsu}", headers=district,
                                      timeout=10).json(), lambda case: case.get("lead_unit_id"))["lead_unit_id"]

    def queue(headers: dict) -> list[str]:
        return [c["case_id"] for c in httpx.get(f"{platform.url('dispatch')}/v1/units/{lead}/queue", headers=headers,
                                                timeout=10).json()]
    assert jiangsu in queue(district) and jiangsu not in queue(street["dispatcher"])
    # What the district keeps for all its streets is changed by the district's own staff.
    problem(httpx.put(f"{platform.url('supervision')}/v1/supervisors/sup-new", headers=bearer(
        platform.token("admin", area="st-huayang")), json={"name": "新督办员"}, timeout=10), 403, "scope_too_narrow")


SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
SEED, EXAMPLES = 20261202, 6  # reproducible; six examples an operation: a few hundred per service


@pytest.mark.parametrize("who", ["admin", "nobody"])
@pytest.mark.parametrize("service", SERVICES)
def test_a_seeded_schemathesis_run_finds_no_server_error_undocumented_status_or_ignored_auth(platform, tmp_path,
                                                                                            service, who):
    headers = [] if who == "nobody" else ["-H", f"Authorization: Bearer {platform.token(who)}"]
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{platform.url(service)}/openapi.json", "--checks",
         "not_a_server_error,status_code_conformance,ignored_auth", "--phases", "examples,coverage,fuzzing",
         "--max-examples", str(EXAMPLES), "--seed", str(SEED), "--generation-deterministic", "--workers", "1",
         "--request-timeout", "20", "--suppress-health-check", "all", "--no-color", *headers],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
