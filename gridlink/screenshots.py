"""``gridlink screenshots``: the console's main pages photographed in Chromium from a running platform (best with
the city playing, `gridlink up --demo-traffic`), for the README: the staff's on a desktop, the residents' on a phone.
(The README's pictures of a case being joined and of a completed case's tracking page are the browser tests' own,
``tests/artifacts/screenshots``: they need a resident's phone digits.)"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

PAGES = (("dispatcher", "/board", "board"), ("dispatcher", "case", "case"), ("huayang-office", "/workbench", "workbench"),
         ("supervisor", "/supervision", "supervision"), ("dispatcher", "/queues", "queues"),
         ("admin", "/operations", "operations"), ("operator", "/hotline?q=社区事务受理服务中心几点上班", "hotline"))
#: The residents' pages, signed out, on a phone's screen.
RESIDENT_PAGES = (("/report", "report"), ("/public", "public-record"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def take(console_url: str, out: Path, *, password: str, chromium: str | None = None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    executable = chromium or os.environ.get("GRIDLINK_CHROMIUM") or shutil.which("chromium")
    if not executable:
        raise RuntimeError("no Chromium: apt-get install -y chromium (or set GRIDLINK_CHROMIUM)")
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        pages = {}
        for username, path, name in PAGES:
            if username not in pages:
                context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                              timezone_id="Asia/Shanghai")
                page = context.new_page()
                page.goto(f"{console_url}/sign-in")
                page.fill("#username", username)
                page.fill("#password", password)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                pages[username] = page
            page = pages[username]
            if path == "case":  # a case being worked on (any open one if none is)
                codes = []
                for board in ("/board?state=in_progress", "/board"):
                    page.goto(console_url + board)
                    codes = codes or re.findall(r'data-code="([A-Z0-9]+)"', page.content())
                path = f"/cases/{codes[0]}" if codes else "/board"
            page.goto(console_url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(800)  # the map's grids and points drawn
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=name in ("case", "supervision"))
            taken.append(target)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                    locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
        for path, name in RESIDENT_PAGES:
            phone.goto(console_url + path)
            phone.wait_for_load_state("networkidle")
            phone.wait_for_timeout(800)
            target = out / f"{name}.png"
            phone.screenshot(path=str(target), full_page=True)
            taken.append(target)
        browser.close()
    return taken
