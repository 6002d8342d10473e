"""Import every model so Alembic and the app see the whole schema."""
from .accounts.models import FirstRun, LoginSession, RecoveryCode, ThrottleEvent, User
from .audit.models import AuditEntry
from .checkins.models import Checkin, CheckinPlan
from .flags.models import SafetyFlag
from .intake.models import (
    Intake,
    IntakeAnswer,
    IntakeCondition,
    IntakeInvitation,
    IntakeMedication,
    IntakeRegion,
)
from .measurements.models import Measurement
from .messages.models import OutboundMessage
from .note_templates.models import NoteTemplate
from .patients.models import Patient, PatientNameToken
from .plans.models import Assessment, PlanGoal, PlanPoint, PlanRemedy, PlanVersion, TreatmentPlan
from .portal.models import PatientPage, VisitRequest
from .reports.models import PlanOutcome
from .schedule.models import Appointment, ClosureDay, WorkingHours
from .sessions.models import (
    AdverseEvent,
    Amendment,
    SafetyConfirmation,
    SessionAdjunct,
    SessionPoint,
    SessionRecord,
)
from .settings.models import ClinicSettings
from .submissions import Submission

__all__ = ["AuditEntry", "ClinicSettings", "Intake", "IntakeAnswer", "IntakeCondition",
           "IntakeInvitation", "IntakeMedication", "IntakeRegion", "LoginSession", "Measurement",
           "Patient", "SafetyFlag", "ThrottleEvent", "User"]
__all__ += ["Appointment", "Assessment", "ClosureDay", "PlanGoal", "PlanPoint", "PlanRemedy",
            "PlanVersion", "TreatmentPlan", "WorkingHours"]
__all__ += ["AdverseEvent", "Amendment", "SafetyConfirmation", "SessionPoint", "SessionRecord"]
__all__ += ["SessionAdjunct"]
__all__ += ["PatientNameToken", "PlanOutcome"]
__all__ += ["FirstRun", "RecoveryCode"]
__all__ += ["Submission"]
__all__ += ["OutboundMessage"]
__all__ += ["Checkin", "CheckinPlan", "PatientPage", "VisitRequest"]
__all__ += ["NoteTemplate"]
