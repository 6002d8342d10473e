"""Treatment session records: what was done at each visit (STRICTA), signed, locked, amended."""
