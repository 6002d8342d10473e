"""Clinical reference content and the rules built on it.

Pure domain code: nothing here imports Flask, so a clinician can review it line by line. The data
files in `data/` are copies of `../shared/clinical/` (a test keeps them identical)."""
