"""Regenerate the README screenshots: one per dashboard, from the real served app.

    python assets/make_screenshots.py            # writes assets/<tab>-dashboard.png

Starts `panel serve explorer/app.py` on a free port, opens each tab in headless
Debian Chromium (Playwright, /usr/bin/chromium), waits until the plots stop
changing, and saves a screenshot. The default settings and seed 0 are used, so
the numbers in the plot titles are the ones the README quotes.
"""

import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABS = {"devices": 1, "encoding": 2, "crossbar": 3}
SETTLED_JS = """
() => {
  let n = 0;
  for (const doc of (window.Bokeh ? window.Bokeh.documents : []))
    for (const m of doc._all_models.values())
      if (m.type === 'Title' && m.text) n += m.text.length;
  return n;
}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "panel", "serve", str(ROOT / "explorer" / "app.py"),
                               "--port", str(port), "--address", "127.0.0.1"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for name, tab in TABS.items():
                page = browser.new_page(viewport={"width": 1500, "height": 1000})
                for _ in range(60):
                    try:
                        page.goto(f"http://127.0.0.1:{port}/app?tab={tab}")
                        break
                    except Exception:  # server still starting
                        time.sleep(1)
                page.wait_for_function("() => window.Bokeh && window.Bokeh.documents.length > 0",
                                       timeout=120000)
                last, stable = None, 0
                while stable < 4:  # title text unchanged for 4 s in a row
                    page.wait_for_timeout(1000)
                    now = page.evaluate(SETTLED_JS)
                    stable = stable + 1 if now == last and now > 0 else 0
                    last = now
                page.wait_for_timeout(2000)
                out = ROOT / "assets" / f"{name}-dashboard.png"
                page.screenshot(path=str(out), full_page=False)
                print(f"wrote {out.relative_to(ROOT)}")
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
