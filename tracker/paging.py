"""A page of a select, as entities or as plain rows (a read-only list needs only its columns),
counted only when it must be: a select whose last column is a window count (`func.count()
.over()`) brings its total with the page; otherwise a page that is not full ends the list, so its
total is its offset plus its items (most lists are one short page: the count statement is then
saved); only a full page (or one past the end) runs a count statement."""
from collections.abc import Callable
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload
from sqlalchemy.sql.elements import Label, Over
from sqlalchemy.sql.functions import count as _count

from .extensions import db


def _window_counted(stmt: Select) -> bool:
    """Whether the select's last column counts all its rows (count(*) over the whole result)."""
    # The statement's own column list: selected_columns would build a collection of every
    # column (an entity's too) for each new statement, on every page.
    raw = getattr(stmt, "_raw_columns", None)
    if not raw:
        return False
    last = raw[-1]
    if isinstance(last, Label):
        last = last.element
    return (isinstance(last, Over) and isinstance(last.element, _count)
            and last.partition_by is None)


class _Page(Pagination):
    def _query_items(self) -> list[Any]:
        args = self._query_args
        stmt: Select = args["select"]
        params = args["params"]
        if params is None:
            result = db.session.execute(stmt.limit(self.per_page).offset(self._query_offset))
        else:  # a prebuilt statement: its limit and offset are bound parameters
            result = db.session.execute(stmt, {**params, "limit": self.per_page,
                                               "offset": self._query_offset})
        if _window_counted(stmt):
            rows = result.all() if args["rows"] else result.unique().all()
            # Past the last page no row carries the total: counted apart then.
            self._total = rows[0][-1] if rows else (0 if self.page == 1 else None)
            if not args["rows"]:
                rows = [row[0] for row in rows]
        else:
            rows = result.all() if args["rows"] else list(result.unique().scalars())
            short = len(rows) < self.per_page and (rows or self.page == 1)
            self._total = self._query_offset + len(rows) if short else None
        to_items = args["to_items"]
        return rows if to_items is None or not rows else to_items(rows)

    def _query_count(self) -> int:
        if self._total is None:  # a full page, or one past the end
            count = self._query_args["count_select"]
            if count is None:
                sub = (self._query_args["select"].options(lazyload("*")).order_by(None)
                       .limit(None).offset(None).subquery())
                count = select(func.count()).select_from(sub)
            self._total = db.session.execute(count, self._query_args["params"]).scalar()
        return self._total


def paginate(stmt: Select, *, page: int, per_page: int, max_per_page: int | None = 100,
             error_out: bool = True, rows: bool = False, count: Select | None = None,
             params: dict | None = None,
             to_items: Callable[[list], list] | None = None) -> Pagination:
    """db.paginate(stmt, ...) with the same pages and figures.
    `rows`: Core rows (every selected column) instead of the first column's entities;
    `count`: a cheaper statement counting the same rows (without the joins that only add
    columns), run with `params`;
    `params`: the values of a prebuilt statement's bound parameters; `stmt` then already ends
    in `.limit(bindparam("limit")).offset(bindparam("offset"))`, which the page fills in (built
    once, its compiled form is reused);
    `to_items`: turns the page's rows (or entities) into its items, e.g. read-only rows with
    their parts, when there are any."""
    return _Page(page=page, per_page=per_page, max_per_page=max_per_page, error_out=error_out,
                 select=stmt, rows=rows, count_select=count, params=params, to_items=to_items)
