"""The WSGI entry of an installed package: `gunicorn tracker.wsgi:app` from any directory (the
checkout's top-level wsgi.py imports this)."""
from . import create_app

app = create_app()
