"""What the browser tests share: Debian's Chromium found, the project's Chinese font given to it, the
accessibility check (axe-core, run inside the page) and signing in as a demo account."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

PASSWORD = "demo-Changning-2026"  # the demo accounts'
SHOTS = Path(__file__).parents[1] / "artifacts" / "screenshots"
FONT_DIR = Path(__file__).parents[2] / ".tools" / "fonts"
# Chromium's own flags for a machine without a display or internet (as root, in a container).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path() -> str:
    path = os.environ.get("GRIDLINK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, ("the browser tests need Chromium: `apt-get install -y chromium` (Debian), or set GRIDLINK_CHROMIUM "
                  "to its executable")
    return path


def fonts(tmp: Path) -> dict:
    """Fontconfig that adds the project's Chinese font (``make install`` fetched it) to the system's, so that pages
    and screenshots show Chinese, not boxes, on a machine without CJK fonts."""
    conf = tmp / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f'<dir>{FONT_DIR}</dir><cachedir>{tmp / "cache"}</cachedir></fontconfig>')
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


#: What the accessibility check holds the pages to: WCAG 2.1 A and AA, as axe-core (bundled with
#: axe-playwright-python, run inside the page) checks them.
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def serious_violations(page: Page) -> list[str]:
    """The serious and critical accessibility violations of the page as it stands, each with where it was found."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=WCAG).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in ("serious", "critical")]


def signed_in(browser: Browser, platform, username: str, *, width: int = 1366, height: int = 900) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                               timezone_id="Asia/Shanghai").new_page()
    page.goto(platform.url("console") + "/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_be_visible()
    return page
