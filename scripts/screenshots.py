"""Screenshots of pages of a running tracker, for looking at the UI (not part of the tests).

    python scripts/screenshots.py http://127.0.0.1:5000 admin@example.org demo-password-123 \
        /patients/ /patients/1 --out /tmp/shots --width 390
"""
import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("email")
    parser.add_argument("password")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "shots"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        if args.email != "-":
            page.goto(args.base + "/login")
            page.get_by_label("Email").fill(args.email)
            page.get_by_label("Password").fill(args.password)
            page.get_by_role("button", name="Log in").click()
        for path in args.paths:
            page.goto(args.base + path)
            name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
            target = out / f"{name}-{args.width}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target)
        browser.close()


if __name__ == "__main__":
    main()
