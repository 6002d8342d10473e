"""Exports: CSV, FHIR R4 and database backups."""
