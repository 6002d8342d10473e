"""`flask messages send`: one sending run (cron) or, with --loop, the long-running worker."""
import signal

import click
from flask.cli import AppGroup

messages = AppGroup("messages", help="Messages to patients: queue due reminders and send.")


@messages.command("send")
@click.option("--loop", is_flag=True, help="Keep running: a run every --interval seconds.")
@click.option("--interval", type=click.FloatRange(1), default=30, show_default=True)
@click.option("--limit", type=click.IntRange(1), default=500, show_default=True,
              help="At most this many messages in one run.")
def send(loop, interval, limit):
    """Queue the reminders now due, then send every message that is due (retries included)."""
    from . import sender
    if not loop:
        run = sender.run_once(limit)
        click.echo(f"Messages: {run}.")
        if run.failed:
            raise SystemExit(1)
        return
    stopping = []

    def stop(*_):
        stopping.append(True)  # finish the message in hand, then leave
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"Sending messages every {interval:g} seconds; SIGTERM stops.")
    sender.loop(interval, stop=lambda: bool(stopping))
