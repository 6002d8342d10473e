"""The WSGI entry of an installed package: `gunicorn tracker.wsgi:app` from any directory (the
checkout's top-level wsgi.py imports this)."""
import gc

from . import create_app

app = create_app()
# The modules, templates and statements loaded so far live as long as the worker: take them out
# of the garbage collector's view, so the full collections that a page's many short-lived rows
# trigger do not walk them again on every such request.
gc.collect()
gc.freeze()
