"""session adjuncts: other interventions as rows (kind, site, minutes, settings), not columns

Each session's electro settings (electro_pairs, _hz, _waveform, _intensity, _minutes, or an
"electrical" stimulation) become one "electro" row (the pairs are its site), and each code in its
adjuncts list becomes a row of that kind; then those columns are dropped. SQLite drops them with
ALTER TABLE DROP COLUMN (3.35+): rebuilding session_record would trip the foreign keys of its
child rows.

Revision ID: 0012
Revises: 0011
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BATCH = 5000
ELECTRO = ('electro_pairs', 'electro_hz', 'electro_waveform', 'electro_intensity')
OLD_COLUMNS = (*ELECTRO, 'electro_minutes', 'adjuncts')

record = sa.table(
    'session_record', sa.column('id', sa.Integer), sa.column('stimulation', sa.String),
    sa.column('electro_pairs', sa.String), sa.column('electro_hz', sa.String),
    sa.column('electro_waveform', sa.String), sa.column('electro_intensity', sa.String),
    sa.column('electro_minutes', sa.Integer), sa.column('adjuncts', sa.JSON))
adjunct = sa.table(
    'session_adjunct', sa.column('id', sa.Integer), sa.column('session_id', sa.Integer),
    sa.column('position', sa.Integer), sa.column('kind', sa.String),
    sa.column('site', sa.String), sa.column('minutes', sa.Integer),
    sa.column('settings', sa.JSON))


def _codes(value) -> list:
    if isinstance(value, str):   # a driver that hands JSON back as text
        value = json.loads(value or '[]')
    return [str(code) for code in value or () if code]


def _rows(r) -> list[dict]:
    """The adjunct rows for one old session_record row."""
    codes = _codes(r.adjuncts)
    rows = []
    if (r.stimulation == 'electrical' or 'electro' in codes or r.electro_minutes is not None
            or any(getattr(r, name) for name in ELECTRO)):
        settings = {key: value for key, value in (
            ('hz', r.electro_hz), ('waveform', r.electro_waveform),
            ('intensity', r.electro_intensity)) if value}
        rows.append({'kind': 'electro', 'site': r.electro_pairs or '',
                     'minutes': r.electro_minutes, 'settings': settings})
    for code in dict.fromkeys(codes):
        if code != 'electro':
            rows.append({'kind': code[:30], 'site': '', 'minutes': None, 'settings': {}})
    return [row | {'position': i, 'session_id': r.id} for i, row in enumerate(rows)]


def upgrade():
    op.create_table('session_adjunct',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('site', sa.String(length=200), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['session_record.id'], name=op.f('fk_session_adjunct_session_id_session_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_adjunct'))
    )
    with op.batch_alter_table('session_adjunct', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_adjunct_session_id'), ['session_id'], unique=False)

    # Only records with something to move: most clinics' records are manual with no adjuncts.
    bind = op.get_bind()
    used = sa.or_(record.c.stimulation == 'electrical', record.c.electro_minutes.is_not(None),
                  *[record.c[name] != '' for name in ELECTRO],
                  sa.cast(record.c.adjuncts, sa.Text).not_in(('[]', '', 'null')))
    last = 0
    while True:
        batch = bind.execute(sa.select(record).where(used, record.c.id > last)
                             .order_by(record.c.id).limit(BATCH)).all()
        if not batch:
            break
        rows = [row for r in batch for row in _rows(r)]
        if rows:
            bind.execute(adjunct.insert(), rows)
        last = batch[-1].id

    for name in OLD_COLUMNS:
        op.drop_column('session_record', name)


def downgrade():
    for name, type_, default in (
            ('electro_pairs', sa.String(length=200), ''), ('electro_hz', sa.String(length=30), ''),
            ('electro_waveform', sa.String(length=20), ''),
            ('electro_intensity', sa.String(length=60), ''),
            ('electro_minutes', sa.Integer(), None), ('adjuncts', sa.JSON(), '[]')):
        op.add_column('session_record', sa.Column(
            name, type_, nullable=default is None,
            server_default=None if default is None else sa.text(f"'{default}'")))

    bind = op.get_bind()
    last = 0
    while True:
        ids = bind.execute(sa.select(adjunct.c.session_id).distinct()
                           .where(adjunct.c.session_id > last)
                           .order_by(adjunct.c.session_id).limit(BATCH)).scalars().all()
        if not ids:
            break
        found: dict[int, dict] = {}
        for a in bind.execute(sa.select(adjunct).where(adjunct.c.session_id.in_(ids))
                              .order_by(adjunct.c.session_id, adjunct.c.position, adjunct.c.id)):
            values = found.setdefault(a.session_id, {'adjuncts': []})
            settings = a.settings if isinstance(a.settings, dict) else json.loads(
                a.settings or '{}')
            if a.kind == 'electro' and 'electro_pairs' not in values:
                values |= {'electro_pairs': (a.site or '')[:200],
                           'electro_hz': str(settings.get('hz', ''))[:30],
                           'electro_waveform': str(settings.get('waveform', ''))[:20],
                           'electro_intensity': str(settings.get('intensity', ''))[:60],
                           'electro_minutes': a.minutes}
            elif a.kind not in values['adjuncts']:
                values['adjuncts'].append(a.kind)
        for session_id, values in found.items():
            bind.execute(record.update().where(record.c.id == session_id).values(**values))
        last = ids[-1]

    if bind.dialect.name == 'postgresql':
        for name in (*ELECTRO, 'adjuncts'):
            op.alter_column('session_record', name, server_default=None)
    with op.batch_alter_table('session_adjunct', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_adjunct_session_id'))

    op.drop_table('session_adjunct')
