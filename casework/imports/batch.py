"""The batched loader: an import processed in chunks of rows, with plain values instead of ORM
objects (issue 9: 100,000 rows at 5,000 rows/s, all or nothing, memory bounded).

For each chunk the kind looks up what its rows need with one query per table (its records by
ref, people by furigana and birth date, ...), then stages every row in memory by the same rules
as the row-by-row path (the people services' keep_spelling/update_person, the models' own key
functions), and the chunk is written when its last row is staged: the new records' ids are
reserved, then one bulk INSERT per table (RowWriter: COPY on PostgreSQL, one executemany on
SQLite, with the columns' own type processing), one executemany UPDATE per table (by id and
version, like the ORM's optimistic lock), and one bulk INSERT of the audit entries, built by the
same functions as the flush hook (casework.audit.trail.record_values/changed_values/audit_entry).

Everything goes through the session's connection inside the import's single transaction: the
rollup cache generation is bumped in that transaction (by the cache's statement hook for the
UPDATEs, by RowWriter for the bulk INSERTs); the next chunk's queries see what earlier chunks
wrote (a person created at line 10 is matched at line 5,010); a failed import rolls back every
chunk. A chunk's records are dropped once it is written: what stays per row is its outcome and
summary."""

import functools
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm.exc import StaleDataError

from casework.audit.models import AuditEntry
from casework.audit.trail import audit_entry, changed_values, current_actor, record_values
from casework.db import utcnow
from casework.extensions import db
from casework.people import services as people
from casework.people.models import Person

# The work of the models' before_insert/before_update listeners, which Core statements do not
# fire: run on every record created or changed here, before its audit entry is taken.
KEPT_IN_STEP = {Person: Person.refresh_keys}


# SQLite's page cache while an import writes: the default (2 MB) is smaller than the indexes a
# large import inserts into, so their pages would be evicted and read back on almost every row
# (measured: a third of the INSERT time at 100,000 rows, bench/README.md).
SQLITE_IMPORT_CACHE_KIB = 65536


@contextmanager
def roomy_sqlite_cache():
    """For the duration of an import: a larger page cache on SQLite (a setting of the
    connection, not of the transaction, so it is put back however the import ends)."""
    if db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    raw = db.session.connection().connection.dbapi_connection
    previous = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {int(previous)}")


class Staged:
    """One record of a chunk as plain column values, read and written like the model's object
    (`case.status`, `person.full_name`). A foreign key to a record created in the same chunk
    holds that record (see as_foreign_key) until the chunk is written and its id is known."""

    __slots__ = ("model", "values", "is_new", "version_read")

    def __init__(self, model, values: dict[str, Any], *, is_new: bool):
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "is_new", is_new)
        object.__setattr__(self, "version_read", values.get("version"))

    def __getattr__(self, name: str):
        if name in Staged.__slots__:
            raise AttributeError(name)
        if name in self.values:
            return self.values[name]
        getter = _instance_getter(self.model, name)
        if getter is None:
            raise AttributeError(f"{self.model.__name__}.{name}")
        return getter(self)

    def __setattr__(self, name: str, value) -> None:
        if name not in self.values:
            raise AttributeError(f"{self.model.__name__} has no column {name}")
        self.values[name] = value

    @property
    def as_foreign_key(self):
        """What a foreign key to this record holds: its id, or itself while it has none."""
        return self if self.values.get("id") is None else self.values["id"]


@functools.cache
def _instance_getter(model, name: str) -> Callable | None:
    """The function behind the model's property or hybrid property `name` (what an instance
    computes; a hybrid's class-level side is an SQL expression), or None."""
    for cls in model.__mro__:
        if name in cls.__dict__:
            attribute = cls.__dict__[name]
            if isinstance(attribute, property | hybrid_property):
                return attribute.fget
            return None
    return None


@functools.cache
def _defaults(model) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    """(every column with its fixed default or None, (name, make default) for the columns whose
    default is computed, such as created_at)."""
    attrs = sa.inspect(model).column_attrs
    names = tuple(attr.key for attr in attrs)
    # Staged values are keyed by attribute; Core statements by column: the two must agree.
    assert names == tuple(attr.columns[0].name for attr in attrs), model
    fixed, computed = dict.fromkeys(names), []
    for name in names:
        default = model.__table__.c[name].default
        if default is None or name == "id":
            continue
        if default.is_callable:
            computed.append((name, functools.partial(default.arg, None)))
        elif default.is_scalar:
            fixed[name] = default.arg
        else:
            raise ValueError(f"{model.__tablename__}.{name}: the batched loader cannot compute this default")
    return fixed, tuple(computed)


def _with_defaults(model, values: dict) -> dict:
    """Every column's value of a new record: the given ones, else the column's Python default
    (as the ORM would insert it), else None. The id stays None until the INSERT."""
    fixed, computed = _defaults(model)
    full = dict(fixed)
    for name, make in computed:
        if name not in values:
            full[name] = make()
    full.update(values)
    return full


def _reserve_ids(table: sa.Table, count: int) -> list[int]:
    """Ids for `count` new rows, ascending, that no one else can take.

    An INSERT ... RETURNING of many rows is slow or falls back to a statement per row (the
    order of returned ids is not guaranteed on SQLite; psycopg re-parses the long multi-row
    statement on PostgreSQL), so the ids are taken first and the rows inserted with them.
    PostgreSQL: from the column's own sequence, as the default would (its name looked up once:
    `nextval(pg_get_serial_sequence(...))` looked it up again for every id, 5 ms a chunk).
    SQLite: max(id) + 1 on, as SQLite itself does; the import's transaction holds the write
    lock from its BEGIN IMMEDIATE (casework.db), so nobody can insert meanwhile."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        sequence = session.execute(sa.select(sa.func.pg_get_serial_sequence(table.name, "id"))).scalar_one()
        query = (sa.select(sa.func.nextval(sa.cast(sa.literal(sequence), postgresql.REGCLASS)))
                 .select_from(sa.func.generate_series(1, count)))
        return sorted(session.execute(query).scalars())
    last = session.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    return list(range(last + 1, last + 1 + count))


@functools.lru_cache(maxsize=64)
def _bind_processors(table: sa.Table, names: tuple[str, ...], dialect) -> tuple:
    """The columns' own bind processing (UTCDateTime's check and conversion to UTC, JSON's
    serializer, SQLite's date formats), exactly as an INSERT through SQLAlchemy applies it."""
    return tuple(table.c[name].type._cached_bind_processor(dialect) for name in names)


class RowWriter:
    """INSERT rows (dicts keyed by column name, the same keys in every row) into one table in
    the session's transaction, with each column's type processing, as
    `session.execute(sa.insert(table), rows)` would, without its per-row cost (bench/README.md
    "Import"). PostgreSQL: one COPY for everything written while the writer is open (an
    executemany there is one INSERT per row, each parsed, bound and executed by the server).
    The server inserts the rows as they arrive, so the caller may do other work between
    write() calls while the server catches up; leaving the `with` waits for it. SQLite: one
    executemany per write(). Errors are raised as SQLAlchemy's (IntegrityError, ...), as from
    session.execute. These statements do not pass through the session's hooks, so the rollup
    cache is bumped here as its hooks would (casework.plans.cache, in the same transaction)."""

    def __init__(self, table: sa.Table, names: Iterable[str]):
        self.table = table
        self.names = tuple(names)
        self.connection = db.session.connection()
        self.dialect = self.connection.dialect
        self.processors = _bind_processors(table, self.names, self.dialect)
        preparer = self.dialect.identifier_preparer
        columns = ", ".join(preparer.quote(name) for name in self.names)
        if self.dialect.name == "postgresql":
            self.statement = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"
        else:
            self.statement = (f"INSERT INTO {preparer.format_table(table)} ({columns}) "
                              f"VALUES ({', '.join('?' * len(self.names))})")
        self._copy = None
        self._stack = None

    def __enter__(self) -> "RowWriter":
        if self.dialect.name == "postgresql":
            self._stack = ExitStack()
            # While the COPY runs, psycopg holds the connection: a statement on it (a lazy load
            # in the caller's work between batches) would wait for it forever. Refuse instead.
            sa.event.listen(self.connection, "before_cursor_execute", self._refuse)
            self._stack.callback(sa.event.remove, self.connection, "before_cursor_execute", self._refuse)
            with self._errors():
                cursor = self._stack.enter_context(self.connection.connection.driver_connection.cursor())
                self._copy = self._stack.enter_context(cursor.copy(self.statement))
        return self

    def _refuse(self, *_args, **_kwargs) -> None:
        raise RuntimeError(f"a statement was sent while rows were being copied into {self.table.name}")

    def __exit__(self, *exc_info) -> None:
        if self._stack is not None:
            with self._errors():
                self._stack.__exit__(*exc_info)  # ends the COPY, waiting for the server
        if exc_info[0] is None:
            from casework.plans import cache as rollup_cache  # casework.plans imports the framework

            if self.table.name in rollup_cache.watched_tables():
                rollup_cache.bump(db.session())  # the Session itself, not its scoped proxy

    @contextmanager
    def _errors(self):
        error = self.dialect.loaded_dbapi.Error
        try:
            yield
        except error as exc:
            raise sa.exc.DBAPIError.instance(self.statement, None, exc, error, hide_parameters=True) from exc

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        columns = []
        for name, process in zip(self.names, self.processors, strict=True):
            values = [row[name] for row in rows]
            columns.append(values if process is None else [process(value) for value in values])
        if any(len(row) != len(self.names) for row in rows):
            raise ValueError(f"{self.table.name}: rows with other columns than {self.names}")
        records = zip(*columns, strict=True)
        if self._copy is None:
            self.connection.exec_driver_sql(self.statement, list(records))
            return
        with self._errors():
            for record in records:
                self._copy.write_row(record)


# Rows handed to the database at a time. PostgreSQL: the server inserts one batch while the
# loader prepares the next (audit entries, values) instead of waiting at the end of each table.
# SQLite runs in this process, so there is nothing to overlap: one executemany per table
# (measured: batches of 250 there cost 1.4 s more CPU at 100,000 rows).
WRITE_BATCH = 1000


def _batches(items: list):
    size = WRITE_BATCH if db.session.get_bind().dialect.name == "postgresql" else max(1, len(items))
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _person_of(record: Staged) -> int | None:
    """The person an audit entry names, as the model's audit_person_id() gives it."""
    person_id = getattr(record.model, "audit_person_id", None)
    return person_id(record) if callable(person_id) else None


class Chunk:
    """One chunk of rows and the records staged for them: the unit of work of the batched loader.
    Call update()/note_changes() at most once per record and row: like a flush per row, each
    call is one version and one audit entry."""

    def __init__(self, rows: list):
        self.rows = rows
        self.found: dict[str, Any] = {}  # the kind's look-ups for these rows
        self.people = ChunkPeople(self)
        self._created: list[Staged] = []
        self._changed: dict[int, Staged] = {}
        self._entries: list[tuple[str, Staged, dict | None, dict | None]] = []
        self._creation_entry: dict[int, int] = {}  # id(record) → its create entry in _entries
        # (values, name) where a foreign key holds a record created in this chunk: given its
        # id once the chunk's INSERTs are done.
        self._links: list[tuple[dict, str]] = []

    def _link(self, values: dict, names: Iterable[str]) -> None:
        self._links.extend((values, name) for name in names if isinstance(values[name], Staged))

    # --- reading
    def select(self, model, condition: sa.ColumnElement[bool]) -> list[Staged]:
        """The records of `model` meeting the condition, in one query."""
        table = model.__table__
        return self.read(model, sa.select(table).where(condition).order_by(table.c.id))

    def read(self, model, query: sa.Select) -> list[Staged]:
        """The records a select of the model's table rows gives (with their column names), in
        the query's order."""
        result = db.session.execute(query)
        return [Staged(model, dict(row), is_new=False) for row in result.mappings()]

    def by_ref(self, model, refs: Iterable[str]) -> dict[str, Staged]:
        refs = sorted({ref for ref in refs if ref})
        if not refs:
            return {}
        if db.session.get_bind().dialect.name == "postgresql":
            # One array parameter: an IN list of 2,000 parameters cost more to render and send
            # (SQLAlchemy and psycopg each handle every placeholder) than to run.
            wanted = model.__table__.c.ref == sa.any_(sa.bindparam("refs", refs, type_=postgresql.ARRAY(sa.String)))
        else:
            wanted = model.__table__.c.ref.in_(refs)
        return {record.ref: record for record in self.select(model, wanted)}

    # --- writing
    def create(self, model, **values) -> Staged:
        record = Staged(model, _with_defaults(model, values), is_new=True)
        if model in KEPT_IN_STEP:
            KEPT_IN_STEP[model](record)
        self._created.append(record)
        # The entry's values are taken when the chunk is written, or just before a later row
        # of the chunk changes the record (note_changes).
        self._creation_entry[id(record)] = len(self._entries)
        self._entries.append(("create", record, None, None))
        self._link(record.values, values)
        return record

    def update(self, record: Staged, values: dict[str, Any]) -> bool:
        """Set the values; True when anything changed (then audited, versioned, written)."""
        before = dict(record.values)
        for name, value in values.items():
            setattr(record, name, value)
        return self.note_changes(record, before)

    def note_changes(self, record: Staged, before: dict) -> bool:
        """After a record was changed in place (e.g. by people.update_person): compare with
        `before`, and if anything differs, bump the version and updated_at and audit it."""
        if record.model in KEPT_IN_STEP:
            KEPT_IN_STEP[record.model](record)
        changed = [name for name, value in record.values.items() if value != before[name]]
        if not changed:
            return False
        if record.is_new:
            self._keep_created_values(record, before)
        old = {name: before[name] for name in changed}
        new = {name: record.values[name] for name in changed}
        if "version" in record.values:
            record.values["version"] += 1
        if "updated_at" in record.values:
            record.values["updated_at"] = utcnow()
        self._entries.append(("update", record, old, new))
        self._link(record.values, changed)
        self._link(old, changed)
        self._link(new, changed)
        if not record.is_new:
            self._changed[id(record)] = record
        return True

    def _keep_created_values(self, record: Staged, values: dict) -> None:
        n = self._creation_entry[id(record)]
        if self._entries[n][3] is None:
            self._entries[n] = ("create", record, None, values)
            self._link(values, values.keys())

    def write(self) -> None:
        """INSERT the new records (parents first), UPDATE the changed ones, then the audit log.

        The ids of the new records are reserved first, so every foreign key and audit entry
        is known before anything is sent. While the server inserts a table's rows (on
        PostgreSQL as they arrive), the audit entries are built, and while it inserts those,
        the next ones are formatted; the entries keep the order of the changes."""
        self._give_ids()
        # Who acts is read before any COPY starts (the logged-in user may need loading).
        entries = self._audit_entries(*current_actor())
        built: list[dict] = []
        order = {table: n for n, table in enumerate(db.metadata.sorted_tables)}
        by_model: dict[Any, list[Staged]] = defaultdict(list)
        for record in self._created:
            by_model[record.model].append(record)
        for model in sorted(by_model, key=lambda m: order[m.__table__]):
            records = by_model[model]
            with RowWriter(model.__table__, records[0].values) as writer:
                for batch in _batches(records):
                    writer.write([record.values for record in batch])
                    built.extend(itertools.islice(entries, len(batch)))
        self._update_changed()
        built.extend(entries)
        if built:
            with RowWriter(AuditEntry.__table__, built[0]) as writer:
                for batch in _batches(built):
                    writer.write(batch)

    def _give_ids(self) -> None:
        """Reserve the new records' ids (one query per table); then every foreign key to them."""
        by_table: dict[sa.Table, list[Staged]] = defaultdict(list)
        for record in self._created:
            by_table[record.model.__table__].append(record)
        for table, records in by_table.items():
            for record, new_id in zip(records, _reserve_ids(table, len(records)), strict=True):
                record.values["id"] = new_id
        for values, name in self._links:
            target = values[name]
            if isinstance(target, Staged):
                values[name] = target.values["id"]

    def _update_changed(self) -> None:
        by_model: dict[Any, list[Staged]] = defaultdict(list)
        for record in self._changed.values():
            by_model[record.model].append(record)
        for model, records in by_model.items():
            table = model.__table__
            where = [table.c.id == sa.bindparam("b_id")]
            versioned = "version" in table.c
            if versioned:
                where.append(table.c.version == sa.bindparam("b_version"))
            params = []
            for record in records:
                row = {name: value for name, value in record.values.items() if name not in ("id", "created_at")}
                row["b_id"] = record.values["id"]
                if versioned:
                    row["b_version"] = record.version_read
                params.append(row)
            result = db.session.execute(sa.update(table).where(*where), params)
            dialect = db.session.get_bind().dialect
            if versioned and dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
                raise StaleDataError(f"{table.name}: {len(params) - result.rowcount} changed meanwhile")

    def _audit_entries(self, user_id: int | None, username: str):
        """The chunk's audit entries in the order of the changes, as the flush hook makes them
        (the actor is the same for every entry: read once per chunk)."""
        for action, record, before, after in self._entries:
            model = record.model
            if not getattr(model, "__audited__", False):
                continue
            if action == "create":
                after = record.values if after is None else after | {"id": record.values["id"]}
                before, after = None, record_values(model, after)
            else:
                before, after = changed_values(model, before, after)
            yield audit_entry(action, entity=model.__tablename__, entity_id=record.values["id"],
                              person_id=_person_of(record), before=before, after=after,
                              user_id=user_id, username=username)


class ChunkPeople:
    """casework.people.services' same_person / find_or_create / update_person for the rows of a
    chunk: the people the rows may name are read in one query (load), and the chunk's own new
    and changed people are matched as soon as they are staged, so two rows of one chunk naming
    the same person give one person. Matching is the services' rule: same folded furigana and
    birth date, among people not merged away, the lowest id first."""

    def __init__(self, chunk: Chunk):
        self.chunk = chunk
        self._by_id: dict[int, Staged] = {}
        self._by_key: dict[tuple, list[Staged]] = defaultdict(list)
        self._keys: dict[tuple, tuple | None] = {}

    def _match_key(self, family_kana: str, given_kana: str, birth_date) -> tuple | None:
        """people.match_key, folded once per chunk (folding is the costly part of a row)."""
        name = (family_kana, given_kana, birth_date)
        if name not in self._keys:
            self._keys[name] = people.match_key(family_kana, given_kana, birth_date)
        return self._keys[name]

    def load(self, names: Iterable[tuple], ids: Iterable[int] = ()) -> None:
        """Read the people that these (family_kana, given_kana, birth_date) may name (one
        query), and the people with these ids not read by then (one more)."""
        keys = {key for name in names if (key := self._match_key(*name)) is not None}
        found = self.chunk.read(Person, people.matching_people(keys)) if keys else []
        for person in found:
            self._by_id[person.id] = person
            self._index(person)
        missing = {person_id for person_id in ids if person_id is not None} - self._by_id.keys()
        if missing:
            for person in self.chunk.select(Person, Person.id.in_(missing)):
                self._by_id[person.id] = person
                self._index(person)

    def _index(self, person: Staged) -> None:
        if person.birth_date is not None:
            bucket = self._by_key[(person.kana_key, person.birth_date)]
            if person not in bucket:
                bucket.append(person)

    def get(self, person_id: int) -> Staged:
        return self._by_id[person_id]

    def same_person(self, family_kana: str, given_kana: str, birth_date) -> Staged | None:
        key = self._match_key(family_kana, given_kana, birth_date)
        if key is None:
            return None
        # A bucket may hold someone whose key changed since; new people come after every stored
        # one (their ids will be higher), in the order they were staged.
        candidates = [p for p in self._by_key.get(key, ()) if (p.kana_key, p.birth_date) == key
                      and p.merged_into_id is None]
        return min(candidates, key=lambda p: (p.is_new, p.id or 0), default=None)

    def find_or_create(self, fields: people.PersonFields) -> tuple[Staged, bool, bool]:
        """(person, created, changed): people.find_or_create for a staged row."""
        person = self.same_person(fields.family_name_kana, fields.given_name_kana, fields.birth_date)
        if person is not None:
            return person, False, self.update(person, fields)
        return self.create(fields), True, False

    def create(self, fields: people.PersonFields) -> Staged:
        person = self.chunk.create(Person, **{name: getattr(fields, name) for name in people.PERSON_FIELDS})
        self._index(person)
        return person

    def update(self, person: Staged, fields: people.PersonFields) -> bool:
        """people.update_person(person, keep_spelling(...), keep_empty=True), as imports do."""
        before = dict(person.values)
        people.update_person(person, people.keep_spelling(person, fields), keep_empty=True)
        changed = self.chunk.note_changes(person, before)
        if changed:
            self._index(person)
        return changed
