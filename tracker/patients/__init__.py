"""The patient register: demographics, search, archive."""
