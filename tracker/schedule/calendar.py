"""The patient's upcoming sessions as an iCalendar file (RFC 5545) via the icalendar library.
Only what a phone calendar needs: time, place, practitioner. No clinical content."""
from datetime import timedelta

from icalendar import Calendar, Event

from ..timeutil import utcnow


def ics(entries, settings, host: str) -> bytes:
    """`entries` are schedule.services.CalendarEntry: each visit under the UID of its first
    booking, SEQUENCE raised by every move or cancellation, cancelled visits as CANCELLED."""
    cal = Calendar()
    cal.add("prodid", "-//Clinic tracker//appointments//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", settings.name)
    stamp = utcnow()
    for entry in entries:
        appt = entry.appointment
        event = Event()
        event.add("uid", f"appointment-{entry.uid_id}@{host or 'clinic-tracker'}")
        event.add("sequence", entry.sequence)
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        event.add("dtstamp", stamp)
        event.add("dtstart", appt.start_utc)
        event.add("dtend", appt.start_utc + timedelta(minutes=appt.minutes))
        event.add("summary", ("Cancelled: " if entry.cancelled else "")
                  + f"Acupuncture: {settings.name}")
        if settings.address:
            event.add("location", settings.address.replace("\n", ", "))
        contact = f" To change it, call {settings.phone}." if settings.phone else ""
        event.add("description", f"With {appt.practitioner.display_name}.{contact}")
        cal.add_component(event)
    return cal.to_ical()
