"""Staff accounts, roles, login sessions and throttling."""
