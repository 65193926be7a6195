"""The city, played against a running platform so that its pages come alive: residents report on every channel
(self-service, hotline, messaging group, grid patrol, Open311) with the demo's own words at points spread over the
grids; the linkage centre places what no rule could; units sign for, progress and complete their cases, some late,
some returned; residents judge, some dissatisfied. Everything goes through the public APIs, as people would."""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from shapely.geometry import Point, shape

from shared.auth import Role, issue_token
from shared.demo import demo_data
from shared.webhooks import signed_headers

#: How the channels share the reports (the sources: most by phone and in person, then online and on patrol).
CHANNELS = {"self_service": 30, "hotline": 30, "messaging_group": 15, "grid_patrol": 15, "open311": 10}
VERDICTS = {"satisfied": 78, "basically_satisfied": 12, "dissatisfied": 10}


@dataclass
class Reported:
    code: str
    phone: str | None
    reported_at: float


@dataclass
class City:
    urls: dict[str, str]
    private_key: str
    bridge_secret: str | None
    reports_per_minute: float = 6.0
    #: How long a unit takes over a case, in seconds of this simulation (a day's work played in minutes).
    work_seconds: tuple[float, float] = (20.0, 180.0)
    late_share: float = 0.08      # cases a unit leaves until its clocks run out
    #: How long a unit leaves a late case unsigned: past an urgent case's sign-for limit (half an hour, in calendar
    #: time), so a newcomer watching for a quarter of an hour sees warnings, then breaches.
    late_sign_seconds: float = 45 * 60
    #: The units slow this run, as a city has some (the black list shows them): they leave ``slow_late_share`` of their
    #: cases late. None: the units leading the urgent sub-items, so that a demo shows warnings within its first
    #: quarter of an hour (the other clocks run in working hours only).
    slow_units: frozenset[str] | None = None
    slow_late_share: float = 0.5
    return_share: float = 0.05    # cases a unit gives back (not its duty)
    seed: int | None = None
    say: callable = print
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        ground, categories = demo_data("ground"), demo_data("categories")
        self.jurisdiction = ground["jurisdiction"]
        self.grids = [shape(a["polygon"]) for a in ground["areas"] if a["level"] == "grid"]
        self.texts = [(item["code"], item.get("service_code"), text) for item in categories["items"]
                      for text in item.get("examples", []) if not re.search(r"[A-Za-z]{3}", text)]
        self.patrol_units = [u["id"] for u in demo_data("units")["units"] if u["kind"] == "grid_worker"]
        self.reported: dict[str, Reported] = {}
        self.work_until: dict[str, tuple[float, float]] = {}  # case -> when its unit started and will finish
        self.late: dict[str, tuple[float, bool]] = {}  # case -> when its unit will sign for it, and whether late
        if self.slow_units is None:
            urgent = {c["code"] for c in categories["items"] if c["time_limit_class"] == "urgent"}
            self.slow_units = frozenset(r["lead"] for r in demo_data("routing")["rules"]
                                        if r.get("category") in urgent and r.get("lead"))
        self.client = httpx.AsyncClient(timeout=10)
        self.api_key: str | None = None

    def token(self, role: Role, unit_id: str | None = None) -> dict:
        return {"Authorization": "Bearer " + issue_token(
            self.private_key, role=role, jurisdiction=self.jurisdiction, unit_id=unit_id,
            subject=f"simulated:{unit_id or role}", ttl=timedelta(hours=1))}

    def point(self) -> dict:
        grid = self.rng.choice(self.grids)
        minx, miny, maxx, maxy = grid.bounds
        while True:
            lon, lat = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if grid.contains(Point(lon, lat)):
                return {"lat": round(lat, 6), "lon": round(lon, 6)}

    def phone(self) -> str:
        return "13" + "".join(self.rng.choice("0123456789") for _ in range(9))

    def pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    async def run(self, *, duration: float | None = None) -> Counter:
        """Play until cancelled (or for ``duration`` seconds); returns what happened, counted."""
        loop = asyncio.get_running_loop()
        self.started = loop.time()
        tasks = [asyncio.create_task(job()) for job in (self.residents, self.centre, self.units, self.judges)]
        try:
            await asyncio.sleep(duration) if duration else await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.client.aclose()
        return self.counts

    async def _every(self, seconds: float, step) -> None:
        while True:
            try:
                await step()
            except httpx.HTTPError as exc:  # a service restarting: the city carries on (said once, not each time)
                self.counts["unreachable"] += 1
                if self.counts["unreachable"] == 1:
                    self.say(f"simulate: a service did not answer ({type(exc).__name__}); carrying on")
            await asyncio.sleep(seconds)

    # --- residents -------------------------------------------------------------------------------------------------

    async def residents(self) -> None:
        while True:
            await asyncio.sleep(self.rng.expovariate(self.reports_per_minute / 60))
            try:
                await self.report(self.pick(CHANNELS))
            except httpx.HTTPError:
                self.counts["unreachable"] += 1

    async def report(self, channel: str) -> None:
        category, service_code, text = self.rng.choice(self.texts)
        where, phone, intake = self.point(), self.phone(), self.urls["intake"]
        urgent = self.rng.random() < 0.05
        if channel == "self_service":
            answer = await self.client.post(f"{intake}/v1/reports", json={
                "description": text, "category": category, "location": where, "urgent": urgent,
                "contact": {"name": "居民", "phone": phone}})
        elif channel == "hotline":
            answer = await self.client.post(f"{intake}/v1/hotline/reports", headers=self.token(Role.OPERATOR), json={
                "call_id": uuid.uuid4().hex[:16], "caller": {"phone": phone}, "description": text,
                "location": where, "urgent": urgent})
        elif channel == "messaging_group" and self.bridge_secret:
            body = json.dumps({"message_id": uuid.uuid4().hex, "group_id": "huayang-residents",
                               "sender": {"nickname": "邻居", "phone": phone}, "text": text,
                               "location": where}).encode()
            answer = await self.client.post(
                f"{intake}/v1/bridges/messaging-group/messages", content=body,
                headers={"content-type": "application/json",
                         **signed_headers(self.bridge_secret, f"msg_{uuid.uuid4().hex}", body)})
        elif channel == "grid_patrol":
            phone = None
            answer = await self.client.post(
                f"{intake}/v1/patrol/reports", headers=self.token(Role.UNIT_STAFF, self.rng.choice(self.patrol_units)),
                json={"observation_id": uuid.uuid4().hex[:16], "description": text, "location": where})
        else:
            if self.api_key is None:
                made = await self.client.post(f"{intake}/v1/admin/api-keys", headers=self.token(Role.ADMIN),
                                              json={"name": "simulated residents' app"})
                self.api_key = made.json()["api_key"] if made.status_code == 201 else ""
            phone = None
            answer = await self.client.post(f"{intake}/open311/v2/requests.json", data={
                "api_key": self.api_key, "jurisdiction_id": self.jurisdiction, "service_code": service_code or "",
                "lat": where["lat"], "long": where["lon"], "description": text})
        if answer.status_code not in (200, 201):
            self.counts[f"report refused ({answer.status_code})"] += 1
            return
        self.counts[f"reported by {channel}"] += 1
        body = answer.json()
        code = body.get("tracking_code") if isinstance(body, dict) else None
        if code and not body.get("linked_to_existing_case"):
            self.reported[code] = Reported(code, phone, asyncio.get_running_loop().time())

    # --- the linkage centre ----------------------------------------------------------------------------------------

    async def centre(self) -> None:
        await self._every(8, self._place_triage)

    async def _place_triage(self) -> None:
        dispatch, staff = self.urls["dispatch"], self.token(Role.DISPATCHER)
        for case in (await self.client.get(f"{dispatch}/v1/triage", headers=staff)).json()[:10]:
            routed = await self.client.post(f"{dispatch}/v1/cases/{case['case_id']}/route", headers=staff,
                                            json={"version": case["version"], "reason": "联动中心按规则派发"})
            self.counts["placed by the centre" if routed.status_code == 200 else "left in triage"] += 1

    # --- units -----------------------------------------------------------------------------------------------------

    async def units(self) -> None:
        await self._every(5, self._work)

    async def _work(self) -> None:
        dispatch = self.urls["dispatch"]
        directory = (await self.client.get(f"{dispatch}/v1/units", headers=self.token(Role.DISPATCHER))).json()
        now = asyncio.get_running_loop().time()
        for unit in directory:
            staff = self.token(Role.UNIT_STAFF, unit["id"])
            queue = await self.client.get(f"{dispatch}/v1/units/{unit['id']}/queue", headers=staff)
            for case in queue.json() if queue.status_code == 200 else []:
                await self._handle(case, unit["id"], staff, now)

    async def _handle(self, case: dict, unit_id: str, staff: dict, now: float) -> None:
        dispatch, case_id = self.urls["dispatch"], case["case_id"]
        status, lead = case["status"], case["lead_unit_id"] == unit_id

        async def act(action: str, **body) -> bool:
            answer = await self.client.post(f"{dispatch}/v1/cases/{case_id}/{action}", headers=staff,
                                            json={"version": case["version"], **body})
            self.counts[action if answer.status_code == 200 else f"{action} refused"] += 1
            return answer.status_code == 200

        if not lead:
            detail = (await self.client.get(f"{dispatch}/v1/cases/{case_id}", headers=staff)).json()
            if "part" in detail.get("actions", []):
                await act("part", text="已配合现场处置")
        elif status == "dispatched":
            if case_id not in self.late:  # decided once, when the unit first sees it
                late = self.rng.random() < (self.slow_late_share if unit_id in self.slow_units else self.late_share)
                self.late[case_id] = (now + self.late_sign_seconds if late else now, late)
                self.counts["left late"] += late
            look_at, late = self.late[case_id]
            if now < look_at:
                return
            if self.rng.random() < self.return_share:
                await act("return", reason="not_our_duty", text="经核实不属本单位职责，请联动中心另行派发")
            elif await act("sign"):  # the work starts now; a late case is finished late as well
                del self.late[case_id]
                self.work_until[case_id] = (now, now + self.rng.uniform(*self.work_seconds) * (50 if late else 1))
        elif status in ("signed", "in_progress"):
            start, end = self.work_until.setdefault(case_id, (now, now + self.rng.uniform(*self.work_seconds)))
            if now >= end:
                if await act("complete", result="已处置完毕，现场恢复正常"):
                    del self.work_until[case_id]
            elif status == "signed" and now >= (start + end) / 2:
                await act("progress", text="已到现场查看，正在处置")

    # --- residents judge -------------------------------------------------------------------------------------------

    async def judges(self) -> None:
        await self._every(10, self._judge)

    async def _judge(self) -> None:
        intake = self.urls["intake"]
        for code, made in list(self.reported.items()):
            if made.phone is None:
                del self.reported[code]
                continue
            tracked = await self.client.get(f"{intake}/v1/track/{code}", params={"phone_last4": made.phone[-4:]})
            if tracked.status_code != 200 or tracked.json().get("status") != "completed":
                continue
            verdict = self.pick(VERDICTS)
            answer = await self.client.post(
                f"{intake}/v1/track/{code}/verdict", params={"phone_last4": made.phone[-4:]},
                json={"verdict": verdict, "resolved": verdict != "dissatisfied",
                      "comment": "问题还在，希望再处理一下" if verdict == "dissatisfied" else "处理及时，谢谢"})
            if answer.status_code == 201:
                self.counts[f"judged {verdict}"] += 1
                if verdict != "dissatisfied":
                    del self.reported[code]


def city_of(config, *, reports_per_minute: float, seed: int | None = None, say=print) -> City:
    """The city for the local platform of ``config`` (its ports, its keys in the data directory)."""
    from gridlink.keys import ensure_keypair, ensure_secret

    private_key, _ = ensure_keypair(config.data_dir)
    return City({name: f"http://{config.host}:{port}" for name, port in config.ports.items()}, private_key,
                ensure_secret(config.data_dir, "messaging-bridge"), reports_per_minute=reports_per_minute, seed=seed,
                say=say)
