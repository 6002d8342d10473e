"""Entry point for gunicorn from a checkout: `gunicorn wsgi:app` (an installed package:
`gunicorn tracker.wsgi:app`)."""
from tracker.wsgi import app

__all__ = ["app"]
