"""patient names folded again: fold() now spells out Latin letters with no decomposition
(ı, ł, ø, æ, þ...: tracker/text.py), so search_name, sort_name and the name tokens stored by
the old rule are recomputed where they change ('Yilmaz' finds 'Yılmaz')

Revision ID: 0028
Revises: 0027
"""
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

BATCH = 1000


def _non_ascii(bind, names):
    """A condition true for rows where `names` hold a character outside ASCII (only those can
    fold differently: the new rule changes no ASCII letter)."""
    joined = sa.func.coalesce(names[0], '')
    for name in names[1:]:
        joined = joined.op('||')(sa.func.coalesce(name, ''))
    if bind.dialect.name == 'postgresql':
        return sa.func.octet_length(joined) > sa.func.char_length(joined)
    return sa.func.length(sa.cast(joined, sa.LargeBinary)) > sa.func.length(joined)


def upgrade():
    # The app's own folding, so the stored values are what a save would write today.
    from tracker.patients.services import name_tokens, refresh_search_columns
    patient = sa.table('patient', sa.column('id', sa.Integer), sa.column('given_name'),
                       sa.column('preferred_name'), sa.column('family_name'),
                       sa.column('search_name'), sa.column('sort_name'))
    token = sa.table('patient_name_token', sa.column('patient_id', sa.Integer),
                     sa.column('token'))
    bind = op.get_bind()
    names = [patient.c.given_name, patient.c.preferred_name, patient.c.family_name]
    rows = bind.execute(sa.select(patient.c.id, *names, patient.c.search_name,
                                  patient.c.sort_name)
                        .where(_non_ascii(bind, names)).order_by(patient.c.id)).all()
    changed = []
    for row in rows:
        folded = SimpleNamespace(given_name=row.given_name or '',
                                 preferred_name=row.preferred_name or '',
                                 family_name=row.family_name or '', phone='')
        refresh_search_columns(folded)
        if (folded.search_name, folded.sort_name) != (row.search_name, row.sort_name):
            changed.append((row.id, folded.search_name, folded.sort_name))
    update = (patient.update().where(patient.c.id == sa.bindparam('pid'))
              .values(search_name=sa.bindparam('new_search'),
                      sort_name=sa.bindparam('new_sort')))
    for start in range(0, len(changed), BATCH):
        batch = changed[start:start + BATCH]
        bind.execute(update, [{'pid': i, 'new_search': search, 'new_sort': sort}
                              for i, search, sort in batch])
        bind.execute(token.delete().where(token.c.patient_id.in_([i for i, _, _ in batch])))
        tokens = [{'patient_id': i, 'token': t} for i, search, _ in batch
                  for t in sorted(name_tokens(search))]
        if tokens:
            bind.execute(token.insert(), tokens)


def downgrade():
    # Nothing to undo: the schema is unchanged and the new folds are plain lower-case words the
    # old code reads as it read the old ones. Under the old rule 'Yilmaz' keeps finding
    # 'Yılmaz' and 'yılmaz' no longer does until the patient is saved again.
    pass
