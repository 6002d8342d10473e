"""Command-line tools: `flask create-user`, `flask seed-demo`, `flask maintenance` ..."""
import click
from flask import Flask

from .accounts import services as accounts
from .accounts.models import ROLES
from .accounts.passwords import MIN_LENGTH, weakness
from .extensions import db


def init_app(app: Flask) -> None:
    from .messages.cli import messages
    app.cli.add_command(messages)

    @app.cli.command("create-user")
    @click.option("--email", prompt=True)
    @click.option("--name", "display_name", prompt="Full name")
    @click.option("--role", type=click.Choice(list(ROLES)), default="practitioner",
                  show_default=True)
    @click.option("--credentials", default="")
    @click.option("--licence", "licence_number", default="")
    @click.password_option(help=f"At least {MIN_LENGTH} characters.")
    def create_user(email, display_name, role, credentials, licence_number, password):
        """Create a staff account (the first one can also be made on the setup page)."""
        if accounts.email_taken(email):
            raise click.ClickException(f"{email} already has an account.")
        if len(password) < MIN_LENGTH:
            raise click.ClickException(f"Use a password of at least {MIN_LENGTH} characters.")
        problem = weakness(password, (email, display_name))
        if problem:
            raise click.ClickException(problem)
        accounts.create_user(email, password, display_name=display_name, role=role,
                             credentials=credentials, licence_number=licence_number)
        db.session.commit()
        click.echo(f"Created {role} {email}.")

    @app.cli.command("first-run-hint")
    @click.option("--port", envvar="PORT", type=click.IntRange(1, 65535), default=5000,
                  show_default=True, help="The port `make run` serves on (PORT).")
    def first_run_hint(port):
        """Say how to create the first account when there is none."""
        if not accounts.any_user_exists():
            click.echo(f"No accounts yet: open http://127.0.0.1:{port}/ and create the first "
                       "administrator on the setup page (or run `flask create-user --role admin`)."
                       "\nWant a fictional clinic to explore instead? Run `make demo`.")

    @app.cli.command("seed-demo")
    @click.option("--patients", default=30, show_default=True)
    @click.option("--password", default="demo-password-123", show_default=True)
    def seed_demo(patients, password):
        """Fill an empty database with a fictional clinic to explore."""
        from .demo import seed
        summary = seed(patients=patients, password=password)
        click.echo(summary)

    @app.cli.command("rebuild-outcomes")
    def rebuild_outcomes():
        """Recount every plan's outcome figures (after loading data outside the app)."""
        from .reports import plan_outcomes
        click.echo(f"Outcome figures recounted for {plan_outcomes.rebuild():,} plans.")

    @app.cli.command("maintenance")
    @click.option("--login-days", type=click.IntRange(0), default=None,
                  help="Keep ended logins this many days (LOGIN_RETENTION_DAYS, default 30).")
    @click.option("--draft-days", type=click.IntRange(1), default=None,
                  help="Keep unsubmitted intake drafts whose links closed this many days ago "
                       "(DRAFT_RETENTION_DAYS, default 90).")
    @click.option("--dry-run", is_flag=True, help="Count what would go; delete nothing.")
    def maintenance(login_days, draft_days, dry_run):
        """Prune ended login sessions, old throttle rows and expired intake drafts (daily cron)."""
        from . import maintenance as housekeeping
        try:
            pruned = housekeeping.run(login_days=login_days, draft_days=draft_days,
                                      dry_run=dry_run)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(("Would delete " if dry_run else "Deleted ") + f"{pruned}.")

    @app.cli.command("optimize-db")
    def optimize_db():
        """Refresh the query planner's statistics (SQLite has no autovacuum to do it)."""
        from sqlalchemy import text
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        click.echo("Planner statistics refreshed.")
