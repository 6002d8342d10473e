"""One patient's record as an HL7 FHIR R4 Bundle (type collection), built as plain JSON.

Mapping: shared/clinical/interop.md. Resources reference each other by urn:uuid full URLs
(derived from table and id, so an export is stable and repeatable). The tests validate the
output with the fhir.resources models; the app itself needs no FHIR library."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..clinical import acupoints, tcm
from ..clinical import instruments as registry
from ..clinical.safety import ADVERSE_EVENTS
from ..extensions import db
from ..flags.models import SafetyFlag
from ..intake.models import Intake
from ..measurements.models import Measurement
from ..patients.models import Patient
from ..plans.models import Assessment, TreatmentPlan
from ..schedule.models import Appointment
from ..sessions import stricta
from ..sessions.models import DECISIONS, SessionRecord
from ..timeutil import as_utc, utcnow

LOINC, SNOMED, UCUM = "http://loinc.org", "http://snomed.info/sct", "http://unitsofmeasure.org"
ICD10, ICD11 = "http://hl7.org/fhir/sid/icd-10", "http://id.who.int/icd/release/11/mms"
NAMESPACE = uuid.UUID("6f1c1d1e-6a59-4c2e-9d5b-0b8f3e7b4a10")
GENDERS = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
PLAN_STATUS = {"draft": "draft", "active": "active", "on_hold": "on-hold",
               "completed": "completed", "discontinued": "revoked"}
APPOINTMENT_STATUS = {"scheduled": "booked", "attended": "fulfilled", "no_show": "noshow",
                      "cancelled_patient": "cancelled", "cancelled_clinic": "cancelled",
                      "late_cancel": "cancelled", "rescheduled": "cancelled"}
AE_LABELS = dict(ADVERSE_EVENTS)


def ref(kind: str, key: Any) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{key}')}"


def _instant(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="seconds")


def _day(value: date) -> str:
    return value.isoformat()


def _text(value: str) -> dict:
    return {"text": value}


class _Bundle:
    def __init__(self) -> None:
        self.entries: list[dict] = []

    def add(self, kind: str, key: Any, resource: dict) -> str:
        url = ref(kind, key)
        resource = {"resourceType": kind, "id": url.rsplit(":", 1)[1], **resource}
        self.entries.append({"fullUrl": url, "resource": resource})
        return url


def patient_bundle(patient: Patient) -> dict:
    """The whole record of one patient."""
    b = _Bundle()
    subject = {"reference": b.add("Patient", patient.id, _patient(patient))}
    users: dict[int, str] = {}

    def practitioner(user: User | None) -> dict | None:
        if user is None:
            return None
        if user.id not in users:
            users[user.id] = b.add("Practitioner", user.id, _practitioner(user))
        return {"reference": users[user.id], "display": user.display_name}

    team = _care_team(b, patient, subject, practitioner)
    conditions: dict[int, list[dict]] = {}
    for a in db.session.scalars(select(Assessment).where(Assessment.patient_id == patient.id)
                                .order_by(Assessment.assessed_on)):
        conditions[a.id] = [{"reference": url} for url in _conditions(b, a, subject,
                                                                       practitioner(a.practitioner))]
    plans = list(db.session.scalars(
        select(TreatmentPlan).where(TreatmentPlan.patient_id == patient.id)
        .options(selectinload(TreatmentPlan.goals), selectinload(TreatmentPlan.points))
        .order_by(TreatmentPlan.start_on)))
    for plan in plans:
        goals = [{"reference": b.add("Goal", g.id, _goal(g, plan, subject))} for g in plan.goals]
        care = {"status": PLAN_STATUS.get(plan.status, "unknown"), "intent": "plan",
                "title": plan.conditions or "Treatment plan", "subject": subject,
                "period": {"start": _day(plan.start_on)},
                "description": f"{plan.frequency_text}. {plan.rationale}".strip(),
                "author": practitioner(plan.practitioner), "goal": goals or None,
                "careTeam": [team] if team else None,
                "addresses": conditions.get(plan.assessment_id) or None}
        if plan.end_on:
            care["period"]["end"] = _day(plan.end_on)
        b.add("CarePlan", plan.id, {k: v for k, v in care.items() if v is not None})
    appointments = {}
    for appt in db.session.scalars(select(Appointment).where(Appointment.patient_id ==
                                                             patient.id)
                                   .order_by(Appointment.starts_at)):
        appointments[appt.id] = b.add("Appointment", appt.id, {
            "status": APPOINTMENT_STATUS.get(appt.status, "booked"),
            "start": _instant(appt.starts_at), "end": _instant(appt.end_utc),
            "minutesDuration": appt.minutes,
            "description": appt.reason or None,
            "participant": [{"actor": subject, "status": "accepted"},
                            {"actor": practitioner(appt.practitioner), "status": "accepted"}]})
        if not appt.reason:
            b.entries[-1]["resource"].pop("description")
    encounters = {}
    sessions = list(db.session.scalars(
        select(SessionRecord).where(SessionRecord.patient_id == patient.id)
        .options(selectinload(SessionRecord.points), selectinload(SessionRecord.adverse_events),
                 selectinload(SessionRecord.adjuncts))
        .order_by(SessionRecord.visit_on, SessionRecord.id)))
    for s in sessions:
        encounters[s.id] = _session(b, s, subject, practitioner(s.practitioner),
                                    appointments.get(s.appointment_id))
    for m in db.session.scalars(select(Measurement).where(Measurement.patient_id == patient.id)
                                .order_by(Measurement.taken_at, Measurement.id)):
        _measurement(b, m, subject, encounters.get(m.session_id))
    for flag in db.session.scalars(select(SafetyFlag).where(SafetyFlag.patient_id ==
                                                            patient.id)):
        period = {"start": _instant(flag.created_at)}
        if flag.resolved_at:
            period["end"] = _instant(flag.resolved_at)
        b.add("Flag", flag.id, {
            "status": "active" if flag.active else "inactive",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/flag-category",
                "code": "clinical", "display": "Clinical"}]}],
            "code": _text(flag.label + (f": {flag.detail}" if flag.detail else "")),
            "subject": subject, "period": period})
    for intake in db.session.scalars(select(Intake).where(
            Intake.patient_id == patient.id, Intake.consent_at.is_not(None))):
        b.add("Consent", intake.id, _consent(intake, subject))
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
            "timestamp": _instant(utcnow()), "entry": b.entries}


def system(kind: str) -> str:
    """This clinic's own identifier or code system: FHIR_SYSTEM_BASE, else its public address,
    else a URN unique to this installation (from its secret key), so two clinics' patient
    numbers never share a system."""
    base = current_app.config.get("FHIR_SYSTEM_BASE") or (
        current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + "/fhir"
        if current_app.config.get("PUBLIC_BASE_URL") else
        f"urn:uuid:{uuid.uuid5(NAMESPACE, current_app.config['SECRET_KEY'])}")
    return f"{base}/{kind}" if not base.startswith("urn:") else f"{base}:{kind}"


def _care_team(b: _Bundle, patient: Patient, subject: dict, practitioner) -> dict | None:
    """Who treats the patient here (the acupuncturist is not their general practitioner) and
    the physician who referred them."""
    members = []
    if patient.primary_practitioner:
        members.append({"role": [_text("Treating acupuncturist")],
                        "member": practitioner(patient.primary_practitioner)})
    if patient.referring_physician:
        referrer = b.add("Practitioner", f"referrer-{patient.id}", {
            "name": [{"text": patient.referring_physician}]})
        members.append({"role": [_text("Referring physician")],
                        "member": {"reference": referrer,
                                   "display": patient.referring_physician}})
    if not members:
        return None
    return {"reference": b.add("CareTeam", patient.id, {
        "status": "active", "name": "Care team", "subject": subject, "participant": members})}


def _patient(p: Patient) -> dict:
    resource: dict[str, Any] = {
        "identifier": [{"system": system("patient"), "value": f"P{p.id:06d}"}],
        "active": p.archived_at is None,
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "gender": GENDERS.get(p.sex, "unknown"), "birthDate": _day(p.date_of_birth)}
    if p.preferred_name:
        resource["name"].append({"use": "usual", "given": [p.preferred_name]})
    telecom = [{"system": "phone", "value": p.phone}] if p.phone else []
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        resource["telecom"] = telecom
    if p.address:
        resource["address"] = [{"text": p.address}]
    if p.emergency_contact_name:
        contact: dict[str, Any] = {"name": {"text": p.emergency_contact_name},
                                   "relationship": [_text("Emergency contact")]}
        if p.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": p.emergency_contact_phone}]
        resource["contact"] = [contact]
    return resource


def _practitioner(u: User) -> dict:
    resource: dict[str, Any] = {"active": u.active, "name": [{"text": u.display_name}]}
    if u.email:
        resource["telecom"] = [{"system": "email", "value": u.email}]
    if u.licence_number:
        resource["identifier"] = [{"type": _text("Licence number"), "value": u.licence_number}]
    if u.credentials:
        qualification: dict[str, Any] = {"code": _text(u.credentials)}
        if u.licence_number:
            qualification["identifier"] = [{"value": u.licence_number}]
        resource["qualification"] = [qualification]
    return resource


def _conditions(b: _Bundle, a: Assessment, subject: dict, recorder: dict | None) -> list[str]:
    made = []
    base = {"subject": subject, "recordedDate": _day(a.assessed_on),
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": "encounter-diagnosis"}]}]}
    if recorder:
        base["recorder"] = recorder
    if a.western_diagnosis or a.icd10:
        code: dict[str, Any] = {"text": a.western_diagnosis or a.icd10}
        if a.icd10:
            code["coding"] = [{"system": ICD10, "code": a.icd10}]
        made.append(b.add("Condition", f"a{a.id}", {**base, "code": code}))
    for slug in a.patterns or []:
        pattern = tcm.PATTERNS.get(slug)
        if pattern is None:
            continue
        made.append(b.add("Condition", f"a{a.id}-{slug}", {**base, "code": {
            "coding": [{"system": ICD11, "code": pattern.icd11, "display": pattern.label}],
            "text": f"TCM pattern: {pattern.label}"}}))
    return made


def _goal(g, plan: TreatmentPlan, subject: dict) -> dict:
    status = {"completed": "completed", "discontinued": "cancelled", "draft": "proposed"}
    measure = registry.goal_measures().get(g.measure)
    target_text = " ".join(x for x in (g.measure_label, f"{g.target:g}" if g.target is not None
                                       else "", measure.target_words if measure else "") if x)
    resource: dict[str, Any] = {
        "lifecycleStatus": status.get(plan.status, "active"),
        "description": _text(g.description + (f" ({target_text})" if g.target is not None
                                              else "")),
        "subject": subject}
    if g.target is not None:
        quantity: dict[str, Any] = {"value": g.target, "system": UCUM,
                                    "unit": measure.unit_text if measure else "score",
                                    "code": measure.unit if measure else "{score}"}
        if measure:  # the registry knows which way is better; a free "other" goal does not
            quantity["comparator"] = ">=" if measure.higher_is_better else "<="
        target: dict[str, Any] = {"detailQuantity": quantity}
        if measure:
            target["measure"] = _code(measure)
        if g.target_on:
            target["dueDate"] = _day(g.target_on)
        resource["target"] = [target]
    return resource


def _code(instrument: registry.Instrument) -> dict:
    """A measure's code: LOINC where a standard code means exactly it (NRS right now, PEG-3,
    PHQ-2, GAD-2 totals), and always the clinic's own code by registry key, so each pain time
    frame has a code of its own (LOINC has none for them as asked here)."""
    coding = [{"system": LOINC, "code": instrument.loinc,
               "display": instrument.loinc_display or instrument.name}] if instrument.loinc else []
    coding.append({"system": system("CodeSystem/measure"), "code": instrument.key,
                   "display": instrument.name})
    return {"coding": coding, "text": instrument.name}


def _session(b: _Bundle, s: SessionRecord, subject: dict, performer: dict | None,
             appointment: str | None) -> str:
    start = datetime.combine(s.visit_on, time(0, 0))
    encounter: dict[str, Any] = {
        "status": "finished" if s.signed else "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB",
                  "display": "ambulatory"},
        "type": [_text("Acupuncture session" + (f" {s.number}" if s.number else ""))],
        "subject": subject, "period": {"start": _day(s.visit_on)}}
    if performer:
        encounter["participant"] = [{"individual": performer}]
    if appointment:
        encounter["appointment"] = [{"reference": appointment}]
    url = b.add("Encounter", s.id, encounter)
    sites = []
    for p in s.points:
        point = acupoints.lookup(p.code) if p.code else None
        label = " ".join(x for x in (point.label if point else p.code or "", p.location) if x)
        sites.append(_text(f"{label}, {p.side}" if p.side else label))
    procedure: dict[str, Any] = {
        "status": "completed" if s.signed else "in-progress",
        "code": {"coding": [{"system": SNOMED, "code": "44868003", "display": "Acupuncture"}],
                 "text": "Acupuncture"},
        "subject": subject, "encounter": {"reference": url},
        "performedDateTime": _day(s.visit_on)}
    if performer:
        procedure["performer"] = [{"actor": performer}]
    if sites:
        procedure["bodySite"] = sites
    needling = stricta.sentence(s)
    if needling:  # STRICTA's items, as the clinical summary tells them
        procedure["note"] = [{"text": f"STRICTA: {needling}"}]
    b.add("Procedure", s.id, procedure)
    if s.is_reevaluation and s.reeval_decision:  # the plan's decision, in the clinic's codes
        b.add("Observation", f"decision-{s.id}", {
            "status": "final" if s.signed else "preliminary",
            "code": {"coding": [{"system": system("CodeSystem/observation"),
                                 "code": "reeval-decision",
                                 "display": "Re-evaluation decision for the treatment plan"}],
                     "text": "Re-evaluation decision"},
            "subject": subject, "encounter": {"reference": url},
            "effectiveDateTime": _day(s.visit_on),
            "valueCodeableConcept": {"coding": [{
                "system": system("CodeSystem/reeval-decision"), "code": s.reeval_decision,
                "display": DECISIONS.get(s.reeval_decision, s.reeval_decision)}],
                "text": DECISIONS.get(s.reeval_decision, s.reeval_decision)},
            **({"note": [{"text": s.reeval_notes}]} if s.reeval_notes else {})})
    for ae in s.adverse_events:
        b.add("AdverseEvent", ae.id, {
            "actuality": "actual", "subject": subject, "encounter": {"reference": url},
            "event": _text(AE_LABELS.get(ae.kind, ae.kind) + (f" at {ae.site}" if ae.site
                                                               else "")),
            "date": _instant(start + timedelta(hours=12)),
            "seriousness": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
                "code": "serious" if ae.serious else "non-serious"}]},
            "severity": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
                "code": ae.severity if ae.severity in ("mild", "moderate", "severe")
                else "mild"}]}})
    return url


def _measurement(b: _Bundle, m: Measurement, subject: dict, encounter: str | None) -> None:
    instrument = registry.lookup(m.instrument, m.time_frame)
    if instrument:
        code = _code(instrument)
    else:  # pain after needling, or a licensed total entered by name
        key = "_".join(x for x in (m.instrument, m.time_frame) if x)
        text = ("Pain after needling (NRS 0-10)" if key == "nrs_after_needling"
                else m.label or m.instrument)
        code = {"coding": [{"system": system("CodeSystem/measure"), "code": key,
                            "display": text}], "text": text}
    obs: dict[str, Any] = {
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey"}]}],
        "code": code, "subject": subject, "effectiveDateTime": _instant(m.taken_at),
        "valueQuantity": {"value": m.value, "system": UCUM,
                          "unit": instrument.unit_text if instrument else "score",
                          "code": instrument.unit if instrument else "{score}"}}
    if encounter:
        obs["encounter"] = {"reference": encounter}
    if m.source == registry.CHECKIN:  # answered by the patient from their check-in link
        obs["performer"] = [subject]
        obs["method"] = _text("Weekly check-in answered by the patient between visits")
    if instrument and len(instrument.items) > 1 and m.items:
        # The answers behind a multi-item score, with the words the patient was shown.
        answers = [(item, m.items.get(item.key)) for item in instrument.items]
        if all(a is not None for _, a in answers):
            qr: dict[str, Any] = {
                "status": "completed", "subject": subject, "authored": _instant(m.taken_at),
                "item": [{"linkId": item.key, "text": item.text,
                          "answer": [{"valueInteger": int(a)}]} for item, a in answers]}
            if encounter:
                qr["encounter"] = {"reference": encounter}
            obs["derivedFrom"] = [{"reference": b.add("QuestionnaireResponse", m.id, qr)}]
    b.add("Observation", m.id, obs)


def _consent(intake: Intake, subject: dict) -> dict:
    """Consent to treatment as typed by the patient on the intake's last step."""
    return {
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "treatment"}]},
        "category": [{"coding": [{"system": LOINC, "code": "59284-0",
                                  "display": "Patient Consent"}]}],
        "patient": subject, "dateTime": _instant(intake.consent_at),
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                   "code": "OPTIN"}]},
        "sourceAttachment": {"contentType": "text/plain", "title":
                             f"Consent text version {intake.consent_version or 1}, signed "
                             f"{intake.consent_name}"}}
