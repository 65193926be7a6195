"""The console in a real browser (Chromium, driven by Playwright): a dispatcher watches the board while a resident
reports, and the report appears without a reload; the dispatcher dispatches it from its page; the unit signs in,
signs for it and completes it; the board and the case page follow. Each role sees only its scope, and a form with
bad input says which field is wrong. Every test keeps screenshots (``tests/artifacts/screenshots``)."""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Page, expect

from shared.local_time import LOCAL_ZONE
from tests.e2e.browsing import serious_violations, signed_in
from tests.e2e.client import JIANGSU, report


def spot() -> dict:
    """A point of Huayang's Xiushui grid 1 that no other test reports at (no report joins another as a duplicate)."""
    return {"lat": round(random.uniform(31.2115, 31.2185), 6), "lon": round(random.uniform(121.4265, 121.4335), 6)}


def test_a_report_appears_live_is_dispatched_signed_for_and_completed_in_the_browser(platform, browser, shots):
    board = signed_in(browser, platform, "dispatcher")
    expect(board).to_have_url(re.compile(r"/board$"))
    expect(board.locator("#map path.leaflet-interactive").first).to_be_attached(timeout=10_000)  # the grids drawn
    before = int(board.locator("#today").inner_text())
    shots(board, "board")

    # An unsure report (no sub-item the classifier trusts) waits for the linkage centre.
    made = httpx.post(f"{platform.url('intake')}/v1/reports", timeout=10, json={
        "description": f"喂，小区门口那个东西又坏了 {random.randint(1000, 9999)}", "location": spot(),
        "contact": {"name": "钱先生", "phone": "13812347101"}})
    assert made.status_code == 201 and made.json()["needs_triage"], made.text
    code = made.json()["tracking_code"]
    started = time.monotonic()
    row = board.locator(f'tr[data-code="{code}"]')
    expect(row).to_be_visible(timeout=30_000)
    appeared = time.monotonic() - started
    assert appeared < 2.0 + 1.0, f"the report reached the board after {appeared:.1f}s"  # 2 s, and the event's way in
    expect(board.locator("#today")).to_have_text(str(before + 1))
    expect(row).to_contain_text("待分拨")
    shots(board, "report-arrived")

    row.get_by_role("link", name=code).click()
    expect(board.locator("h1")).to_contain_text(code)
    dispatch_form = board.get_by_role("form", name="派发", exact=True)
    dispatch_form.get_by_label("主办单位").select_option(label="华阳路街道管理办")
    dispatch_form.get_by_label("派发理由").fill("来电确认是路灯损坏，属街道管理办")
    shots(board, "dispatching")
    dispatch_form.get_by_role("button", name="派发").click()
    expect(board.get_by_role("status")).to_contain_text("已提交：派发")
    expect(board.locator(".timeline")).to_contain_text("派发至华阳路街道管理办", timeout=5_000)

    unit = signed_in(browser, platform, "huayang-office")
    expect(unit).to_have_url(re.compile(r"/workbench$"))
    waiting = unit.locator("section", has=unit.get_by_role("heading", name=re.compile("待签收"))).locator(
        f'tr[data-code="{code}"]')
    expect(waiting).to_be_visible(timeout=5_000)
    shots(unit, "workbench")
    waiting.get_by_role("link", name=code).click()
    expect(unit.locator(".clocks")).to_contain_text("签收时限")
    unit.get_by_role("button", name="签收").click()
    expect(unit.get_by_role("status")).to_contain_text("已提交：签收")
    complete = unit.get_by_role("form", name="办结")
    complete.get_by_label("办理结果").fill("已更换灯泡，路灯恢复照明")
    complete.locator('input[type="file"]').set_input_files(files=[{
        "name": "done.png", "mimeType": "image/png", "buffer": _png()}])
    complete.get_by_role("button", name="办结").click()
    expect(unit.get_by_role("status")).to_contain_text("已提交：办结")
    expect(unit.locator(".timeline")).to_contain_text("华阳路街道管理办已办结：已更换灯泡，路灯恢复照明",
                                                      timeout=5_000)
    expect(unit.locator('.photos img[alt="承办单位的现场照片"]')).to_have_count(1)
    assert unit.locator(".photos img").evaluate("img => img.naturalWidth") > 0  # the photo itself, not a broken link
    shots(unit, "completed")

    # The dispatcher's board followed without a reload: the case now waits for the resident's verdict.
    board.goto(platform.url("console") + "/board?state=awaiting_verdict")
    expect(board.locator(f'tr[data-code="{code}"]')).to_contain_text("待评价")
    board.goto(platform.url("console") + f"/cases/{code}")
    expect(board.locator(".timeline")).to_contain_text("华阳路街道管理办已签收")
    expect(board.locator("table").last).to_contain_text("居民")  # who was told: the resident's texts are listed
    shots(board, "case-page")


def test_each_role_sees_only_its_scope_in_the_browser(platform, browser, shots):
    there = report(platform, category="street-lighting", description="江苏路口路灯闪烁不停", location=JIANGSU,
                   contact={"name": "孙女士", "phone": "13812347102"})
    assert there.status_code == 201, there.text
    code = there.json()["tracking_code"]
    district = signed_in(browser, platform, "dispatcher")
    expect(district.locator(f'tr[data-code="{code}"]')).to_be_visible(timeout=10_000)
    street = signed_in(browser, platform, "huayang-supervisor")
    expect(street.locator("h1")).to_contain_text("看板")
    expect(street.locator(f'tr[data-code="{code}"]')).to_have_count(0)
    street.goto(platform.url("console") + f"/cases/{code}")
    expect(street.locator("h1")).to_have_text("未找到")
    shots(street, "other-street")
    unit = signed_in(browser, platform, "huayang-office")  # Jiangsu's lights are not Huayang's office's
    unit.goto(platform.url("console") + f"/cases/{code}")
    expect(unit.locator("h1")).to_have_text("未找到")
    # The map shows the street's own grids only.
    street.goto(platform.url("console") + "/board")
    expect(street.locator("#map path.leaflet-interactive").first).to_be_attached(timeout=10_000)
    grids = httpx.get(platform.url("console") + "/board/map", cookies=_cookies(street), timeout=10).json()
    names = {f["properties"]["name"] for f in grids["features"] if f["geometry"]["type"] != "Point"}
    assert "华阳路街道" in names and not any(n.startswith(("华山", "岐山", "江苏路")) for n in names), names


def test_a_form_with_bad_input_names_the_field_in_the_reader_s_language(platform, browser, shots):
    made = report(platform, category="street-lighting", description=f"路灯杆歪斜 {random.randint(1000, 9999)}",
                  location=spot(), contact={"name": "李先生", "phone": "13812347103"})
    code = made.json()["tracking_code"]
    unit = signed_in(browser, platform, "huayang-office")
    unit.goto(platform.url("console") + f"/cases/{code}")
    extension = unit.get_by_role("form", name="申请延期")
    expect(extension).to_be_visible(timeout=10_000)
    extension.get_by_label("延期理由").fill("需要供电公司配合")
    extension.get_by_label("申请办结日期").fill("2020-01-01")  # before today
    extension.get_by_role("button", name="申请延期").click()
    date = unit.get_by_role("form", name="申请延期").get_by_label("申请办结日期")
    expect(date).to_have_attribute("aria-invalid", "true")
    expect(unit.locator("#extension-request-proposed_date-error")).to_contain_text("超出允许范围")
    expect(unit.get_by_role("form", name="申请延期").get_by_label("延期理由")).to_have_value("需要供电公司配合")
    shots(unit, "field-error")
    unit.get_by_role("link", name="English").click()
    extension = unit.get_by_role("form", name="Ask for more time")
    extension.get_by_label("reason").fill("The power company must come")
    extension.get_by_label("proposed date").fill("2020-01-01")
    extension.get_by_role("button", name="Ask for more time").click()
    expect(unit.locator("#extension-request-proposed_date-error")).to_contain_text("after today")


def test_a_supervisor_approves_an_extension_from_the_queue_and_the_unit_s_clock_moves(platform, browser, shots):
    made = report(platform, category="street-lighting", description=f"路灯线路老化需更换 {random.randint(1000, 9999)}",
                  location=spot(), contact={"name": "周女士", "phone": "13812347104"})
    code = made.json()["tracking_code"]
    unit = signed_in(browser, platform, "huayang-office")
    unit.goto(platform.url("console") + f"/cases/{code}")
    unit.get_by_role("button", name="签收").click()
    expect(unit.get_by_role("status")).to_contain_text("已提交：签收")
    asked = (datetime.now(UTC) + timedelta(days=20)).astimezone(LOCAL_ZONE).date().isoformat()
    extension = unit.get_by_role("form", name="申请延期")
    extension.get_by_label("延期理由").fill("需供电公司更换电缆")
    extension.get_by_label("申请办结日期").fill(asked)
    extension.get_by_role("button", name="申请延期").click()
    expect(unit.get_by_role("status")).to_contain_text("已提交：申请延期")

    supervisor = signed_in(browser, platform, "supervisor")
    supervisor.get_by_role("link", name="待办队列").click()
    item = supervisor.locator("li", has=supervisor.get_by_role("link", name=code))
    expect(item).to_contain_text("需供电公司更换电缆", timeout=10_000)
    expect(item).to_contain_text("华阳路街道管理办")
    shots(supervisor, "extension-queue")
    decision = item.get_by_role("form")
    decision.get_by_label("是否同意").select_option(label="是")
    decision.get_by_label("理由").fill("涉及第三方施工，同意延期")
    decision.get_by_role("button", name="审批延期").click()
    expect(supervisor.get_by_role("status")).to_contain_text("已提交：审批延期")
    expect(supervisor.locator("li", has=supervisor.get_by_role("link", name=code))).to_have_count(0)
    # Supervision set the new completion date: the unit's clock on the case page counts down to it.
    unit.goto(platform.url("console") + f"/cases/{code}")
    expect(unit.locator(".clocks")).to_contain_text(f"办结时限 {asked}", timeout=10_000)
    shots(unit, "clock-moved")


def _cookies(page: Page) -> dict:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (80, 60), (40, 160, 80)).save(out, "PNG")
    return out.getvalue()


def test_every_page_passes_the_accessibility_check_and_works_on_a_tablet(platform, browser, shots):
    console = platform.url("console")
    signed_out = browser.new_context(locale="zh-CN").new_page()
    signed_out.goto(console + "/sign-in")
    problems = {"/sign-in": serious_violations(signed_out)}
    pages = {"dispatcher": ["/board", "/queues", "/supervision"], "huayang-office": ["/workbench"],
             "supervisor": ["/supervision", "/queues"], "admin": ["/operations", "/admin", "/admin/unit/new",
                                                                 "/admin/policy/help", "/admin/category/drainage"]}
    for username, paths in pages.items():
        page = signed_in(browser, platform, username)
        for path in paths:
            page.goto(console + path)
            expect(page.locator("h1")).to_be_visible()
            problems[f"{username} {path}"] = serious_violations(page)
        if username == "dispatcher":
            made = httpx.post(f"{platform.url('intake')}/v1/reports", timeout=10, json={
                "description": f"小区门口下水道堵塞，雨后积水 {random.randint(1000, 9999)}", "location": spot(),
                "contact": {"name": "孙女士", "phone": "13812347102"}})
            assert made.status_code == 201, made.text
            page.goto(console + "/board")
            page.locator(f'tr[data-code="{made.json()["tracking_code"]}"] a').click(timeout=15_000)
            expect(page.locator(".timeline")).to_be_visible()
            problems["dispatcher case page"] = serious_violations(page)
            page.goto(console + "/language?to=en&next=/board")
            expect(page.locator("h1")).to_contain_text("linkage centre board")
            problems["dispatcher /board in English"] = serious_violations(page)
    assert not {where: found for where, found in problems.items() if found}

    tablet = signed_in(browser, platform, "dispatcher", width=768, height=1024)
    tablet.goto(console + "/board")
    expect(tablet.locator("#map path.leaflet-interactive").first).to_be_attached(timeout=10_000)
    overflow = tablet.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the board is {overflow}px wider than a tablet"
    shots(tablet, "board-on-a-tablet")
    assert serious_violations(tablet) == []
    tablet.keyboard.press("Tab")  # the keyboard reaches the page's first link, and shows where it is
    focused = tablet.evaluate("[document.activeElement.tagName, getComputedStyle(document.activeElement).outlineStyle]")
    assert focused[0] == "A" and focused[1] != "none", focused


def test_an_administrator_changes_a_time_limit_in_the_browser_and_sees_it_saved(platform, browser, shots):
    admin = signed_in(browser, platform, "admin")
    admin.goto(platform.url("console") + "/admin#policies")
    admin.get_by_role("link", name="编辑 求助", exact=True).click()
    expect(admin.locator("h1")).to_contain_text("编辑办理时限：求助")
    admin.get_by_label("签收时限（小时）").fill("")
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator("h1")).to_contain_text("编辑办理时限")  # the browser keeps a required field from being sent
    admin.get_by_label("签收时限（小时）").fill("1.5")
    admin.get_by_label("预警点（如 50%、80%）").fill("60%、90%")
    shots(admin, "policy-form")
    admin.get_by_role("button", name="保存").click()
    expect(admin.get_by_role("status")).to_contain_text("已保存：办理时限")
    row = admin.locator("section[aria-labelledby=policies] tr").filter(has_text="求助").first
    expect(row).to_contain_text("1.5 小时")
    expect(row).to_contain_text("60%、90%")
    shots(admin, "policy-saved")
