"""Session record pages: open from an appointment or as a walk-in, save, sign, amend."""
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from .. import submissions
from ..audit.models import AuditEntry
from ..audit.trail import record as audit
from ..clinical import acupoints, safety
from ..extensions import db
from ..flags import services as flag_services
from ..forms import EmptyForm, choices
from ..note_templates import services as note_templates
from ..note_templates.models import SECTIONS, NoteTemplate
from ..patients.models import Patient
from ..permissions import require
from ..schedule.models import Appointment
from ..security import query_int, safe_next
from . import rules, services, stricta
from .forms import SessionForm
from .models import DECISIONS, RESPONSES, SETTINGS, STIMULATION, SessionRecord

bp = Blueprint("sessions", __name__)
BLANK_POINT_ROWS = 2


@bp.route("/appointments/<int:appointment_id>/session", methods=["POST"])
@require("clinical.edit")
def open_for_appointment(appointment_id: int):
    appointment = db.get_or_404(Appointment, appointment_id)
    existing = services.for_appointment(appointment)
    if not EmptyForm().validate_on_submit() or not (existing or services.can_start(
            appointment)):
        abort(400)
    # Two clicks (or two clinicians) at once: the second finds the record the first made.
    submissions.lock_row(Appointment, appointment.id)
    record = services.open_for_appointment(appointment, current_user)
    db.session.commit()
    return redirect(url_for(".edit", session_id=record.id))


@bp.route("/patients/<int:patient_id>/sessions/new", methods=["POST"])
@require("clinical.edit")
def walk_in(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    if not EmptyForm().validate_on_submit() or patient.archived_at:
        abort(400)
    if (done := submissions.claim()) is not None:
        return done  # sent twice: the record the first one opened
    record = services.open_walk_in(patient, current_user)
    db.session.flush()
    if (done := submissions.commit(url_for(".edit", session_id=record.id))) is not None:
        return done
    return redirect(url_for(".edit", session_id=record.id))


def _form_data(record: SessionRecord) -> dict:
    """The record as form data (for a GET of the edit or amend page)."""
    data = {name: getattr(record, name) for name in services.COLUMNS}
    data["response_obtained"] = {True: "yes", False: "no"}.get(record.response_obtained, "")
    data["adverse"] = {True: "none", False: "some"}.get(record.no_adverse_events)
    data["points"] = [{"point": p.code or p.location, "side": p.side, "depth": p.depth,
                       "stimulation": p.stimulation, "retention_minutes": p.retention_minutes}
                      for p in record.points]
    data["points"] += [{"side": "bilateral"}] * BLANK_POINT_ROWS
    data["adjuncts"] = [{"kind": a.kind, "site": a.site, "minutes": a.minutes} | a.settings
                        for a in record.adjuncts]
    data["adverse_events"] = [
        {"kind": a.kind, "site": a.site, "severity": a.severity, "serious": a.serious,
         "action": a.action, "outcome": a.outcome, "referral": a.referral}
        for a in record.adverse_events] or [{}]
    data["version"] = record.version
    return data | services.reeval_values(record)


def _render(record, form, status=200, **extra):
    flags = flag_services.active_for(record.patient_id)
    parsed = [acupoints.parse_point(row.form.point.data) for row in form.points]
    cautions = rules.point_notes([p.code for p in parsed if p.code])
    row_notes = {i: f"{p.code}: {cautions[p.code]}" for i, p in enumerate(parsed)
                 if p.code in cautions}
    count = rules.insertions([row.form.side.data for row, p in zip(form.points, parsed,
                                                                  strict=True)
                              if p.code or p.location], form.extra_insertions.data or 0)
    phrases = note_templates.by_section()
    for section, rows in phrases.items():
        form[f"phrase_{section}"].choices = choices(
            [("", "Choose…")] + [(str(t.id), t.label) for t in rows])
    amending = extra.pop("amending", False)
    last, start = services.follow_up(record) if not amending else (None, None)
    return render_template(
        "sessions/form.html", record=record, form=form, flags=flags,
        points=acupoints.points(), code_aliases=acupoints.ALIASES, row_notes=row_notes,
        insertions=count,
        phrases=phrases, sections=SECTIONS, last=last, start=start, amending=amending,
        **extra), status


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@require("clinical.edit")
def edit(session_id: int):
    record = db.get_or_404(SessionRecord, session_id)
    if record.signed:
        return redirect(url_for(".view", session_id=record.id))
    if request.method == "GET":
        restored = bool(record.draft)
        form = (SessionForm(formdata=MultiDict(
            [(k, v) for k, values in record.draft.items() for v in values]))
            if restored else SessionForm(formdata=None, data=_form_data(record)))
        if restored:
            form.version.data = record.version
        page = _render(record, form, restored=record.draft_saved_at if restored else None)
        _audit_read(record, "edit")
        return page
    _takeover(record)
    return _save(record, SessionForm())


def _audit_read(record: SessionRecord, page: str) -> None:
    # Recorded once the page is drawn: a commit first would expire and reload what it shows.
    audit("view", "SessionRecord", record.id, patient_id=record.patient_id,
          changes={"page": page})
    db.session.commit()


def _takeover(record: SessionRecord) -> None:
    """A clinician writing to a colleague's unsigned record takes it over: recorded once per
    clinician and record (autosaves come every few seconds), committed with the write."""
    if record.signed or record.practitioner_id == current_user.id:
        return
    seen = db.session.scalars(select(AuditEntry.id).where(
        AuditEntry.action == "takeover", AuditEntry.entity == "SessionRecord",
        AuditEntry.entity_id == str(record.id), AuditEntry.user_id == current_user.id)
        .limit(1)).first()
    if seen is None:
        audit("takeover", "SessionRecord", record.id, patient_id=record.patient_id,
              changes={"practitioner_id": [record.practitioner_id, current_user.id]})


def _save(record: SessionRecord, form: SessionForm, reason: str | None = None):
    action = request.form.get("action", "save")
    amending = reason is not None
    if action.startswith("phrase:"):  # the "Insert" button of a note section, without script
        section = action.removeprefix("phrase:")
        if section not in SECTIONS:
            abort(400)
        chosen = request.form.get(f"phrase_{section}", "")
        phrase = (db.session.get(NoteTemplate, int(chosen))
                  if chosen.isdigit() and len(chosen) < 10 else None)
        if phrase is not None and phrase.section == section:
            form[section].data = note_templates.insert(form[section].data, phrase.text)
        form[f"phrase_{section}"].data = ""
        for field in form:
            field.errors = []
        return _render(record, form, amending=amending, reason=reason)
    if action in ("add_points", "add_adjunct"):
        if action == "add_adjunct":
            form.add_adjunct()
        for _ in range(3 if action == "add_points" else 0):
            form.points.append_entry()
        for field in form:
            field.errors = []
        return _render(record, form, amending=amending, reason=reason)
    if not form.validate_on_submit():
        return _render(record, form, 400, amending=amending, reason=reason)
    try:
        saved = services.save_record(record, form, current_user, signing=action == "sign",
                                     reason=reason)
    except (services.Conflict, StaleDataError):  # also when found stale while writing
        db.session.rollback()
        record = db.session.get(SessionRecord, record.id)
        return _conflict(record, form, amending, reason)
    if saved.reason_missing:
        return _render(record, form, 400, amending=True, reason=reason,
                       reason_error="Say why the signed record is being corrected.")
    if not saved.done:
        return _render(record, form, 400, pending=saved.pending, amending=amending,
                       reason=reason)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        record = db.session.get(SessionRecord, record.id)
        return _conflict(record, form, amending, reason)
    if amending:
        flash("Amendment recorded." if saved.done == "amended" else "Nothing changed.",
              "success")
        return redirect(url_for(".view", session_id=record.id))
    if saved.done == "signed":
        flash(f"Session for {record.patient.full_name} signed and locked.", "success")
        if saved.decided is not None and (after := _decided(record, saved.decided)):
            return redirect(after)
        return redirect(safe_next(request.args.get("next"), url_for("main.dashboard")))
    flash("Saved. Sign the record when it is complete.", "success")
    return redirect(url_for(".edit", session_id=record.id))


def _decided(record: SessionRecord, decided: services.Decided) -> str | None:
    """Where a signed re-evaluation's decision leads: the discharge summary of the completed
    plan, the referral letter, or the plan's edit page for its next version."""
    patient, plan_id = record.patient_id, decided.plan_id
    if decided.decision == "discharge":
        if decided.problem:
            flash(f"The plan was not completed: {decided.problem}", "warning")
            return url_for("plans.plan", plan_id=plan_id)
        flash("Discharged: the plan is completed"
              + (f" and {decided.removed} future appointments left the diary"
                 if decided.removed else "") + ". Its discharge summary is below.", "success")
        return url_for("reports.summary_page", patient_id=patient, plan=plan_id)
    if decided.decision == "refer":
        return url_for("reports.referral_page", patient_id=patient, session=record.id)
    if decided.decision == "modify":
        flash("Modify the plan: saving it here makes its next version.", "info")
        return url_for("plans.edit_plan", plan_id=plan_id)
    return None


def _conflict(record, form, amending, reason):
    """Keep the user's typing, show what the other person saved, and let them save again."""
    form.version.data = record.version
    return _render(record, form, 409, conflict=services.snapshot(record), amending=amending,
                   reason=reason)


@bp.route("/sessions/<int:session_id>/autosave", methods=["POST"])
@require("clinical.edit")
def autosave(session_id: int):
    record = db.get_or_404(SessionRecord, session_id)
    if record.signed:
        return jsonify(saved=False, reason="signed"), 409
    raw = {k: v for k, v in request.form.to_dict(flat=False).items()
           if k not in ("csrf_token", "action")}
    _takeover(record)
    services.autosave(record, raw)
    db.session.commit()
    return jsonify(saved=True)


@bp.route("/sessions/<int:session_id>")
@require("clinical.view")
def view(session_id: int):
    record = services.for_page(session_id) or abort(404)
    needled, adjuncts = services.shown_rows(record)
    page = render_template(
        "sessions/view.html", record=record, points=acupoints.points(), needled=needled,
        adjuncts=adjuncts,
        reeval=services.reeval_scores(record) if record.is_reevaluation else [],
        adverse_labels=dict(safety.ADVERSE_EVENTS),
        stimulation=STIMULATION, responses=RESPONSES, decisions=DECISIONS, settings=SETTINGS,
        stricta=stricta.LABELS, flags=flag_services.active_for(record.patient_id))
    # Recorded once the page is drawn: a commit first would expire and reload what it shows.
    audit("view", "SessionRecord", record.id, patient_id=record.patient_id)
    db.session.commit()
    return page


@bp.route("/sessions/<int:session_id>/amend", methods=["GET", "POST"])
@require("clinical.edit")
def amend(session_id: int):
    record = db.get_or_404(SessionRecord, session_id)
    if not record.signed:
        return redirect(url_for(".edit", session_id=record.id))
    if request.method == "GET":
        form = SessionForm(formdata=None, data=_form_data(record))
        page = _render(record, form, amending=True, reason="")
        _audit_read(record, "amend")
        return page
    return _save(record, SessionForm(), reason=request.form.get("reason", "")[:2000])


@bp.route("/patients/<int:patient_id>/sessions")
@require("clinical.view")
def timeline(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    page = services.timeline_page(patient.id, query_int("page", 1), per_page=20)
    html = render_template("sessions/timeline.html", patient=patient, page=page)
    audit("view", "SessionTimeline", patient.id, patient_id=patient.id,
          changes={"page": page.page, "sessions": [r.id for r in page.items]})
    db.session.commit()
    return html
