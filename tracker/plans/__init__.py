"""Assessments and treatment plans: what the practitioner found, intends, and why."""
