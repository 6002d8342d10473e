"""Appointments generated from plans, closure days, working hours, week views."""
