"""The summary PDF of a long course: where its time goes. Builds a patient with N weekly
sessions (300 by default) on a fresh SQLite file, then renders the clinical PDF `--runs` times
and prints each split: gathering the figures, the HTML, and WeasyPrint's layout and writing,
plus the time per page and the process's CPU time (steadier than wall time on a busy machine).
`--profile` adds a cProfile of one render (top 25 by cumulative time).

    .venv/bin/python -m bench.summary_pdf --sessions 300 --runs 5
"""
import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import time

from flask import render_template
from flask_migrate import upgrade

from bench.summaries import ROOT, SECRET, build
from tracker import create_app
from tracker.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/pdf.sqlite",
                          "SECRET_KEY": SECRET, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            from tracker.accounts.services import create_user
            user = create_user("admin@bench.example", "bench-password-123", role="admin",
                               display_name="Bench Admin")
            db.session.commit()
            ids = build(args.sessions, user.id)
            user_id = user.id
        from pypdf import PdfReader

        from tracker.accounts.models import User
        from tracker.patients.models import Patient
        from tracker.plans.models import TreatmentPlan
        from tracker.reports import pdf, summary
        from tracker.reports.views import _chart

        def once() -> tuple[float, float, float, int, int, float]:
            with app.test_request_context(base_url="https://localhost"):
                cpu = time.process_time()
                t0 = time.perf_counter()
                s = summary.build(db.session.get(Patient, ids["summary_patient_id"]),
                                  db.session.get(TreatmentPlan, ids["summary_plan_id"]),
                                  None, None, "clinical", db.session.get(User, user_id))
                t1 = time.perf_counter()
                html = render_template("reports/summary_pdf.html", s=s,
                                       chart=_chart(s, compact=True), pdf=True)
                t2 = time.perf_counter()
                body = pdf.render(html)
                t3 = time.perf_counter()
                cpu = time.process_time() - cpu
                db.session.remove()
            pages = len(PdfReader(io.BytesIO(body)).pages)
            return t1 - t0, t2 - t1, t3 - t2, pages, len(body), cpu

        once()  # warm-up: fonts, Pango, templates
        rows = [once() for _ in range(args.runs)]
        for n, (data, html, render, pages, size, cpu) in enumerate(rows, 1):
            total = data + html + render
            print(f"run {n}: total {total * 1000:.0f} ms = figures {data * 1000:.0f} + html "
                  f"{html * 1000:.0f} + weasyprint {render * 1000:.0f} ms; {pages} pages "
                  f"({render * 1000 / pages:.0f} ms per page), {size:,} bytes; "
                  f"CPU {cpu * 1000:.0f} ms")
        totals = sorted(sum(r[:3]) for r in rows)
        cpus = sorted(r[5] for r in rows)
        print(f"{args.sessions} sessions: median {statistics.median(totals) * 1000:.0f} ms, "
              f"max {totals[-1] * 1000:.0f} ms (CPU median {statistics.median(cpus) * 1000:.0f}"
              f" ms: the machine's load moves the wall time, much less the CPU time)")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            once()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            print(out.getvalue())


if __name__ == "__main__":
    main()
