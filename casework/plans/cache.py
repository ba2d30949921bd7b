"""The rollup cache and its invalidation.

A cached rollup is stored per fiscal year together with the generation it was computed at.
Every flush that writes to a table a rollup reads (the tables of every registered source's
select, and the plan's own indicators, targets, rules and observations) bumps the generation
in the same transaction, so the write and the invalidation commit or roll back together. A
reader that computed under an older snapshot stores its result with that older generation,
which the next reader sees as stale: nothing shows a number older than the data.

Each stored rollup carries a token (a fresh random id per store) inside its data, and each
process remembers the last rollups it decoded by that token. A repeat view reads the generation
and the token (a few bytes) and reuses the decoded rollup, instead of reading and decoding the
whole JSON again. The token names the stored content itself, so this holds whatever happens to
the generation (a rolled-back write, tables emptied and refilled, a database restored)."""

import uuid
from collections import OrderedDict

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import visitors

from casework.plans.models import RollupCache, RollupState

PLAN_TABLES = frozenset({
    "plan_indicators", "plan_targets", "plan_counting_rules", "plan_observations",
})
_STATE_ID = 1
TOKEN = "token"  # the key of the stored data that names it
_REMEMBERED = 16  # decoded rollups a process keeps (a few fiscal years, both dashboards' years)
_decoded: OrderedDict[str, object] = OrderedDict()
_watched: frozenset[str] | None = None
_watched_for: tuple[str, ...] = ()


def tables_of(select: sa.Select) -> set[str]:
    """Names of the tables a select reads (through joins and subqueries)."""
    return {el.name for el in visitors.iterate(select) if isinstance(el, sa.Table)}


def watched_tables() -> frozenset[str]:
    global _watched, _watched_for
    from casework.plans.sources import sources

    registered = sources()
    key = tuple(sorted(registered))
    if _watched is None or key != _watched_for:
        names = set(PLAN_TABLES)
        for source in registered.values():
            names |= tables_of(source.rows())
        _watched, _watched_for = frozenset(names), key
    return _watched


def _upsert(table, values: dict, index: list[str], update: dict, dialect: str):
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values)
    return statement.on_conflict_do_update(index_elements=index, set_=update)


def bump(session: so.Session) -> None:
    """Invalidate every cached rollup, inside the session's current transaction."""
    current = session.get_nested_transaction() or session.get_transaction()
    if current is not None and session.info.get("rollup_bumped_in") is current:
        return
    connection = session.connection()
    table = RollupState.__table__
    connection.execute(_upsert(
        table, {"id": _STATE_ID, "generation": 1}, ["id"],
        {"generation": table.c.generation + 1}, connection.dialect.name))
    session.info["rollup_bumped_in"] = current


def generation(session: so.Session) -> int:
    value = session.execute(
        sa.select(RollupState.generation).where(RollupState.id == _STATE_ID)).scalar()
    return int(value or 0)


def load(session: so.Session, fiscal_year: int) -> tuple[int, dict | None]:
    """(current generation, the cached data if it is of that generation)."""
    state = sa.select(RollupState.generation).where(RollupState.id == _STATE_ID).scalar_subquery()
    cached = sa.select(RollupCache.generation).where(RollupCache.fiscal_year == fiscal_year)
    data = sa.select(RollupCache.data).where(RollupCache.fiscal_year == fiscal_year)
    row = session.execute(sa.select(
        state, cached.scalar_subquery(), data.scalar_subquery())).one()
    current, cached_generation, data = int(row[0] or 0), row[1], row[2]
    return current, (data if cached_generation == current else None)


def lookup(session: so.Session, fiscal_years) -> dict[int, str]:
    """{fiscal year: token of its cached rollup} for those of the years whose cached rollup is of
    the current generation: the same check as load(), in one read, without the data. Every
    dashboard and drill-down view asks, so the statement is built once."""
    rows = session.execute(_LOOKUP, {"years": [int(y) for y in fiscal_years]})
    return {int(fiscal_year): token for fiscal_year, token in rows if token}


_LOOKUP = (
    sa.select(RollupCache.fiscal_year, RollupCache.data[TOKEN].as_string())
    .where(RollupCache.fiscal_year.in_(sa.bindparam("years", expanding=True)),
           RollupCache.generation == sa.func.coalesce(
               sa.select(RollupState.generation).where(RollupState.id == _STATE_ID).scalar_subquery(), 0)))


def store(session: so.Session, fiscal_year: int, at_generation: int, data: dict) -> str:
    """Keep the data as the fiscal year's rollup computed at that generation; returns its token."""
    token = uuid.uuid4().hex
    data = {**data, TOKEN: token}
    connection = session.connection()
    table = RollupCache.__table__
    connection.execute(_upsert(
        table, {"fiscal_year": fiscal_year, "generation": at_generation, "data": data},
        ["fiscal_year"], {"generation": at_generation, "data": data},
        connection.dialect.name))
    return token


def remembered(token: str | None):
    """The decoded rollup this process kept under the token, or None."""
    if token is None or token not in _decoded:
        return None
    _decoded.move_to_end(token)
    return _decoded[token]


def remember(token: str | None, decoded) -> None:
    if token is None:
        return
    _decoded[token] = decoded
    _decoded.move_to_end(token)
    while len(_decoded) > _REMEMBERED:
        _decoded.popitem(last=False)


def _touches_watched(session: so.Session) -> bool:
    watched = watched_tables()
    for obj in (*session.new, *session.deleted):
        if getattr(obj, "__tablename__", None) in watched:
            return True
    for obj in session.dirty:
        if getattr(obj, "__tablename__", None) in watched and session.is_modified(obj):
            return True
    return False


def _after_flush(session, _context) -> None:
    if _touches_watched(session):
        bump(session)


def _on_execute(state: so.ORMExecuteState) -> None:
    """Bulk INSERT/UPDATE/DELETE statements run through the session (no objects flushed)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in watched_tables():
        bump(state.session)


def install(session_class) -> None:
    if not sa.event.contains(session_class, "after_flush", _after_flush):
        sa.event.listen(session_class, "after_flush", _after_flush)
    if not sa.event.contains(session_class, "do_orm_execute", _on_execute):
        sa.event.listen(session_class, "do_orm_execute", _on_execute)
