"""The README's picture of the demo's report: the top of report.html in headless Chromium.

Usage: ``python scripts/screenshot_report.py [audiencekit-demo/report.html] [docs/report.png]``
(run the demo first; needs Debian's chromium and the test extra's playwright).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    page_path = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "audiencekit-demo/report.html")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else ROOT / "docs/report.png")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not page_path.is_file():
        raise SystemExit("error: needs chromium and the demo's report.html (bash scripts/demo.sh)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1000, "height": 1500})
        page.goto(page_path.resolve().as_uri())
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
