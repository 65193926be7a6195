"""The residents' site in a real browser (Chromium, driven by Playwright), on a phone and on a desktop: a resident
reports with a tap on the map and a photo (resized in the browser), gets the code on the page and by SMS, opens the
SMS link, follows the case to completion (the unit's answer and photo shown) and judges it; a second resident
nearby adds their voice to the same case; the form works without JavaScript; the pages pass the accessibility check,
load under the weight budget and stay usable on a throttled phone, with nothing fetched from elsewhere. At the
hotline desk an operator looks up a known caller, answers a consultation on the spot from the knowledge base and
takes a problem down; an administrator keeps the knowledge base."""

from __future__ import annotations

import io
import random
import re

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import serious_violations, signed_in
from tests.e2e.client import bearer, case_of, completed, outbox, png, report, wait_for

PHONE_VIEWPORT = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                  "device_scale_factor": 2}
#: Xiushui grid 1, where the residents' tests report by API at points of their own (of a kind no one else reports).
XIUSHUI_1 = (31.2115, 31.2185, 121.4265, 121.4335)


def _phone(browser: Browser, **options) -> Page:
    return browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE_VIEWPORT, **options).new_page()


def _photo_jpeg(width: int = 3000, height: int = 2000) -> bytes:
    """A phone camera's photo: larger than the page sends on."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (random.randint(0, 255), 120, 60)).save(out, "JPEG", quality=95)
    return out.getvalue()


def _outside_requests(page: Page, console: str) -> list[str]:
    """Every request the page makes that does not go to the console itself."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if not (r.url.startswith(console) or r.url.startswith(
        ("data:", "blob:"))) else None)
    return seen


def _tap_the_map(page: Page) -> None:
    """Tap a grid of the map at a point of its own (no other test's case is that close)."""
    page.locator("#report-map[data-ready]").wait_for()
    grid = page.locator("#report-map path.leaflet-interactive").nth(5)
    box = grid.bounding_box()
    grid.click(position={"x": box["width"] * random.uniform(0.3, 0.7), "y": box["height"] * random.uniform(0.3, 0.7)})
    expect(page.locator("#point-text")).to_contain_text("已在地图上选定位置")


def test_a_resident_reports_on_a_phone_follows_the_sms_link_to_completion_and_judges(platform, browser, shots):
    console = platform.url("console")
    page = _phone(browser)
    outside = _outside_requests(page, console)
    page.goto(console + "/report")
    expect(page.locator("h1")).to_have_text("我要反映")
    page.get_by_label("遇到了什么问题").fill(f"人行道上井盖松动，踩上去咣当响，老人小孩容易绊倒 {random.randint(100, 999)}")
    expect(page.locator("#suggestion")).to_contain_text("推荐类别：")  # the classifier, as the resident types
    suggested = page.locator("#category").input_value()
    assert suggested, "the sub-item the text suggests is chosen until the resident chooses"
    _tap_the_map(page)
    page.locator("#photos").set_input_files([{"name": "井盖.jpg", "mimeType": "image/jpeg", "buffer": _photo_jpeg()}])
    expect(page.locator("#photo-previews img")).to_have_count(1)
    page.get_by_label("称呼（可选）").fill("钱阿姨")
    page.get_by_label("联系电话（手机或座机，用于回复和查询）").fill("138 1234 7411")
    assert serious_violations(page) == []
    shots(page, "report-form-on-a-phone")
    page.get_by_role("button", name=re.compile("提交")).click()
    expect(page.locator("#tracking-code")).to_be_visible(timeout=15_000)
    code = page.locator("#tracking-code").inner_text()
    expect(page.locator("main")).to_contain_text("短信")
    assert serious_violations(page) == []
    shots(page, "the-tracking-code")

    operator = bearer(platform.token("operator"))
    case = httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{code}", headers=operator).json()
    assert case["category"] == suggested
    photo_ids = [p for r in httpx.get(f"{platform.url('intake')}/v1/cases/{case['case_id']}/reports",
                                      headers=operator).json() for p in r["photo_ids"]]
    assert len(photo_ids) == 1
    stored = httpx.get(f"{platform.url('intake')}/v1/photos/{photo_ids[0]}", headers=operator)
    width, height = Image.open(io.BytesIO(stored.content)).size
    assert max(width, height) == 1600, "the browser sent the photo resized, not the camera's 3000 px"

    # The SMS holds the code and the link to the tracking page (sent now, or at 07:00 if reported in the quiet
    # hours); the link opens it.
    deliveries = f"{platform.url('notification')}/v1/cases/{case['case_id']}/deliveries"
    sms = wait_for(lambda: [d for d in httpx.get(deliveries, headers=bearer(platform.token("supervisor"))).json()
                            if d["template"] == "received" and d["channel"] == "sms"], lambda found: found)[0]
    assert code in sms["body"] and (sms["status"] == "delivered" or sms["not_before"]), sms
    if sms["status"] == "delivered":
        assert any(code in m["text"] for m in outbox(platform, "sms"))
    link = re.search(r"https?://\S+/track/[0-9A-Z]+", sms["body"]).group(0)
    assert link.startswith(console), link
    page.goto(link)
    page.get_by_label("反映问题时留下的手机号码后四位").fill("7411")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#status")).to_be_visible()
    assert serious_violations(page) == []

    completed(platform, case["case_id"], "已更换井盖并加固，请居民放心通行", photo=png((20, 160, 40)))
    wait_for(lambda: _looked_up(page, link, "7411"), lambda text: "已办结" in text)
    expect(page.locator(".answer")).to_contain_text("已更换井盖")
    photo = page.locator("img[alt^='办结照片']")
    expect(photo).to_have_count(1)
    assert page.evaluate("document.querySelector(\"img[alt^='办结照片']\").naturalWidth") > 0, "the photo loads"
    shots(page, "completed-with-the-units-answer")
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("已解决").check()
    page.get_by_label("意见（可选）").fill("修得很及时")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".notice")).to_contain_text("感谢您的评价：满意")
    assert outside == [], f"the pages fetched from elsewhere: {outside}"


def _looked_up(page: Page, link: str, last4: str) -> str:
    page.goto(link)
    page.get_by_label("反映问题时留下的手机号码后四位").fill(last4)
    page.get_by_role("button", name="查询").click()
    page.locator("#status").wait_for()
    return page.locator("main").inner_text()


def test_a_second_resident_nearby_adds_their_voice_to_the_open_case(platform, browser, shots):
    first = report(platform, category="drainage", description="秀水小区门口雨水井堵塞，积水没过脚踝",
                   location={"lat": 31.2150, "lon": 121.4300}, contact={"name": "周先生", "phone": "13812347421"})
    case_id, code = case_of(platform, first), first.json()["tracking_code"]
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(platform.url("console") + "/report")
    page.get_by_label("遇到了什么问题").fill("门口的雨水井又堵了，下雨就积水")
    page.locator("#category").select_option("drainage")
    page.get_by_label(re.compile("^地址")).fill("秀水小区")  # the gazetteer's name: the page places it there
    expect(page.locator("#point-text")).to_contain_text("秀水小区")
    voice = page.locator(f'button[name="co_report_of"][value="{code}"]')
    expect(voice).to_be_visible()
    assert serious_violations(page) == []
    shots(page, "already-reported-nearby")
    page.get_by_label("联系电话（手机或座机，用于回复和查询）").fill("13812347422")
    voice.click()
    expect(page.locator("#tracking-code")).to_have_text(code)
    expect(page.locator(".notice")).to_contain_text("已合并办理")
    operator = bearer(platform.token("operator"))
    seen = httpx.get(f"{platform.url('intake')}/v1/cases/{case_id}", headers=operator).json()
    assert seen["residents_affected"] == 2
    reports = httpx.get(f"{platform.url('intake')}/v1/cases/{case_id}/reports", headers=operator).json()
    assert [r["role"] for r in reports].count("co_report") == 1


def test_the_form_works_without_javascript(platform, browser, shots):
    page = browser.new_context(locale="zh-CN", java_script_enabled=False, **PHONE_VIEWPORT).new_page()
    page.goto(platform.url("console") + "/report")
    page.get_by_label("遇到了什么问题").fill(f"定西路边垃圾桶满了没人清运，气味很大 {random.randint(100, 999)}")
    page.get_by_role("button", name="提交反映").click()  # no place, no contact: the server says what each needs
    expect(page.locator("#address-error")).to_contain_text("请提供地点")
    expect(page.locator("#phone-error")).to_have_text("缺少必填项")
    expect(page.get_by_label("遇到了什么问题")).to_have_value(re.compile("^定西路边垃圾桶"))  # nothing typed is lost
    page.get_by_label(re.compile("^地址")).fill("定西路450号")
    page.get_by_label(re.compile("匿名反映")).check()
    page.locator("#photos").set_input_files([{"name": "a.png", "mimeType": "image/png", "buffer": png()}])
    page.get_by_role("button", name="提交反映").click()
    if page.locator("#nearby li").count():  # the same kind was open nearby: the page asked first
        shots(page, "nearby-without-javascript")
        page.get_by_role("button", name=re.compile("不是同一个问题")).click()
    expect(page.locator("#tracking-code")).to_be_visible()
    expect(page.locator("main")).to_contain_text("匿名")
    code = page.locator("#tracking-code").inner_text()
    operator = bearer(platform.token("operator"))
    case = httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{code}", headers=operator).json()
    reports = httpx.get(f"{platform.url('intake')}/v1/cases/{case['case_id']}/reports", headers=operator).json()
    assert len(reports[0]["photo_ids"]) == 1 and reports[0]["phone_masked"] is None


def test_the_report_page_is_light_and_usable_on_a_throttled_phone(platform, browser):
    page = _phone(browser)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    loaded: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: loaded.append(e["encodedDataLength"]))
    page.goto(platform.url("console") + "/report")
    page.locator("#report-map[data-ready]").wait_for()
    assert sum(loaded) < 300_000, f"the first load is {sum(loaded)} bytes"

    slow = _phone(browser)
    throttle = slow.context.new_cdp_session(slow)
    # A slow phone on a slow line: "Slow 3G" (400 ms, 400 kbit/s down) and a CPU four times slower.
    throttle.send("Network.enable")
    throttle.send("Network.emulateNetworkConditions", {"offline": False, "latency": 400, "downloadThroughput": 50_000,
                                                        "uploadThroughput": 50_000})
    throttle.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    slow.goto(platform.url("console") + "/report", wait_until="domcontentloaded", timeout=20_000)
    expect(slow.get_by_label("遇到了什么问题")).to_be_editable()  # the form before any script
    # The form is in the page the server drew: it shows at the first paint, before any script (Leaflet, ~42 KB
    # gzipped, is deferred). Measured here: first paint 1.3 s, DOMContentLoaded 2.2 s, the map 2.8 s.
    painted = slow.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
    assert painted < 3_000, f"the form took {painted:.0f} ms to show"
    slow.locator("#report-map[data-ready]").wait_for(timeout=15_000)


def test_the_public_record_and_the_residents_pages_pass_the_accessibility_check(platform, browser, shots):
    console = platform.url("console")
    made = report(platform, category="noise", description="夜里工地施工噪音太大，影响休息",
                  location={"lat": round(random.uniform(*XIUSHUI_1[:2]), 6),
                            "lon": round(random.uniform(*XIUSHUI_1[2:]), 6)},
                  contact={"name": "冯女士", "phone": "13812347431"})
    assert made.status_code == 201, made.text
    code = made.json()["tracking_code"]
    page = _phone(browser)
    page.goto(console + "/public")
    expect(page.locator("h1")).to_have_text("办理公开")
    wait_for(lambda: (page.reload(), page.locator("#public-cases").inner_text())[1], lambda text: code in text)
    text = page.locator("main").inner_text()
    assert "冯" not in text and "13812347431" not in text and "noise" not in text
    assert serious_violations(page) == []
    shots(page, "the-public-record")
    page.goto(console + "/track")
    page.get_by_label(re.compile("^查询码")).fill(code)
    page.get_by_role("button", name="下一步").click()
    expect(page).to_have_url(re.compile(f"/track/{code}$"))
    assert serious_violations(page) == []
    page.goto(console + "/language?to=en&next=/report")
    expect(page.locator("h1")).to_have_text("Report a problem")
    assert serious_violations(page) == []


def test_an_operator_takes_a_call_from_a_known_caller_and_answers_a_consultation_on_the_spot(platform, browser,
                                                                                            shots):
    earlier = report(platform, category="street-lighting", description="定西路上路灯不亮", contact={
        "name": "褚先生", "phone": "13812347441"}, location={"lat": round(random.uniform(*XIUSHUI_1[:2]), 6),
                                                       "lon": round(random.uniform(*XIUSHUI_1[2:]), 6)})
    assert earlier.status_code == 201, earlier.text
    page = signed_in(browser, platform, "operator")
    page.goto(platform.url("console") + "/hotline")
    expect(page.locator("h1")).to_have_text("热线受理")
    page.get_by_label("来电号码", exact=True).fill("13812347441")
    page.get_by_role("button", name="查历史诉求").click()
    expect(page.locator("#history")).to_contain_text(earlier.json()["tracking_code"])
    audit = httpx.get(f"{platform.url('intake')}/v1/reveals", headers=bearer(platform.token("supervisor"))).json()
    assert any(a["actor"] == "console:operator" and a["reason"].startswith("接听来电") for a in audit)

    # The caller asks when the service centre opens: the knowledge base answers, and the call is closed.
    page.get_by_label("来电人问什么").fill("社区事务受理服务中心周六几点上班")
    page.get_by_role("button", name="查找答复").click()
    first = page.locator("#articles li").first
    expect(first).to_contain_text("受理服务中心")
    assert serious_violations(page) == []
    shots(page, "the-hotline-desk")
    first.get_by_role("button", name=re.compile("已按此答复")).click()
    expect(page.locator("#answered")).to_contain_text("周六几点上班")
    expect(page.locator("#today")).to_contain_text("周六几点上班")
    recorded = httpx.get(f"{platform.url('intake')}/v1/hotline/consultations",
                         headers=bearer(platform.token("operator"))).json()
    assert recorded[0]["question"] == "社区事务受理服务中心周六几点上班" and "8:30" in recorded[0]["answer"]

    # ... and a problem of theirs is taken down, the sub-item suggested as the operator types.
    page.locator("#phone").fill("13812347441")
    page.get_by_label("遇到了什么问题").fill(f"楼下饭店油烟直排，熏得家里窗户都不敢开 {random.randint(100, 999)}")
    expect(page.locator("#suggestion")).to_contain_text("推荐类别：")
    page.get_by_label(re.compile("^地址")).fill("华山公寓")
    page.get_by_label(re.compile("紧急")).check()
    page.get_by_role("button", name=re.compile("登记")).click()
    if page.locator("#nearby li").count():
        page.get_by_role("button", name=re.compile("不是同一问题")).click()
    expect(page.locator("#taken")).to_contain_text("查询码")
    code = page.locator("#taken strong").inner_text()
    case = httpx.get(f"{platform.url('intake')}/v1/cases/by-code/{code}", headers=bearer(platform.token("operator")))
    assert case.status_code == 200 and case.json()["channel"] == "hotline"
    dispatched = wait_for(lambda: httpx.get(f"{platform.url('dispatch')}/v1/cases/{case.json()['case_id']}",
                                            headers=bearer(platform.token("dispatcher"))), lambda r: r.status_code == 200)
    assert dispatched.json()["urgent"], "the urgency the operator marked"


def test_an_administrator_keeps_the_knowledge_base(platform, browser):
    page = signed_in(browser, platform, "admin")
    page.goto(platform.url("console") + "/admin/knowledge/new")
    page.get_by_label("常见问题（来电人会怎么问）").fill("电动自行车可以在楼道里充电吗？")
    page.get_by_label("答复口径").fill("不可以。楼道、门厅等公共区域禁止停放电动自行车和充电，请到小区集中充电点充电。")
    page.get_by_label(re.compile("^关键词")).fill("电动车、充电、楼道")
    page.get_by_role("button", name=re.compile("保存")).click()
    expect(page.locator(".notice")).to_contain_text("知识库答复")
    found = httpx.get(f"{platform.url('intake')}/v1/knowledge", params={"q": "电动车楼道充电"},
                      headers=bearer(platform.token("operator"))).json()
    assert found and found[0]["question"] == "电动自行车可以在楼道里充电吗？" and found[0]["changed_by"] == "console:admin"
