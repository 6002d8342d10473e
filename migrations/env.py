import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)  # keep the app's loggers
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def fill_placeholder_0002(connection):
    """0002 was released empty (abb83d7 to 8ceb8cc) and filled in later (8080b80): a database
    made then says 0002, 0003 or 0004 but has none of its tables, and the chain breaks at the
    first migration that alters one. Run 0002's own upgrade first. (Released migrations are
    never edited; 0016 repairs the other edit, 0003's schedule_pending.)"""
    from sqlalchemy import inspect, text
    tables = set(inspect(connection).get_table_names())
    if 'alembic_version' not in tables or 'intake' in tables:
        return
    at = connection.execute(text('SELECT version_num FROM alembic_version')).scalars().all()
    if not set(at) & {'0002', '0003', '0004'}:
        return
    from alembic.operations import Operations
    logger.info('Filling in 0002 (released empty) on a database at %s', ', '.join(at))
    with Operations.context(context.get_context()):
        context.script.get_revision('0002').module.upgrade()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        sqlite = connection.dialect.name == 'sqlite'
        if sqlite:
            # A batch migration rebuilds a table (copy, drop, rename); with foreign keys
            # enforced the drop fails while other rows point at it. Off for the migration
            # (the pragma is a no-op inside a transaction, hence the commit), checked after.
            connection.exec_driver_sql('PRAGMA foreign_keys=OFF')
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        try:
            with context.begin_transaction():
                fill_placeholder_0002(connection)
                context.run_migrations()
        finally:
            if sqlite:
                broken = connection.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
                connection.exec_driver_sql('PRAGMA foreign_keys=ON')
                connection.commit()
        if sqlite and broken:
            raise RuntimeError(f'the migration left rows without their parent: {broken[:5]}')


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
