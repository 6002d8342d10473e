"""Clinic-wide settings an administrator edits."""
