"""A page of a select, as entities or as plain rows (a read-only list needs only its columns),
counted only when it must be: a page that is not full ends the list, so its total is its offset
plus its items (most lists are one short page: the count statement is then saved)."""
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from .extensions import db


class _Page(Pagination):
    def _query_items(self) -> list[Any]:
        stmt: Select = self._query_args["select"]
        result = db.session.execute(stmt.limit(self.per_page).offset(self._query_offset))
        items = result.all() if self._query_args["rows"] else list(result.unique().scalars())
        short = len(items) < self.per_page and (items or self.page == 1)
        self._total = self._query_offset + len(items) if short else None
        return items

    def _query_count(self) -> int:
        if self._total is None:  # a full page, or one past the end
            count = self._query_args["count_select"]
            if count is None:
                sub = self._query_args["select"].options(lazyload("*")).order_by(None).subquery()
                count = select(func.count()).select_from(sub)
            self._total = db.session.execute(count).scalar()
        return self._total


def paginate(stmt: Select, *, page: int, per_page: int, max_per_page: int | None = 100,
             rows: bool = False, count: Select | None = None) -> Pagination:
    """db.paginate(stmt, ...) with the same pages and figures; `rows` gives Core rows (every
    selected column) instead of the first column's entities; `count` is a cheaper statement
    counting the same rows (without the joins that only add columns)."""
    return _Page(page=page, per_page=per_page, max_per_page=max_per_page, select=stmt, rows=rows,
                 count_select=count)
