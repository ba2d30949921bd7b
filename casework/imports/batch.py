"""The batched loader: an import processed in chunks of rows, with plain values instead of ORM
objects (issue 9: 100,000 rows at 5,000 rows/s, all or nothing, memory bounded).

For each chunk the kind looks up what its rows need with one query per table (its records by
ref, people by furigana and birth date, ...), then stages every row in memory by the same rules
as the row-by-row path (the people services' keep_spelling/update_person, the models' own key
functions), and the chunk is written when its last row is staged: one executemany INSERT per
table, one executemany UPDATE per table (by id and version, like the ORM's optimistic lock),
one executemany INSERT of the audit entries, built by the same functions as the flush hook
(casework.audit.trail.record_values/changed_values/audit_entry).

Everything goes through db.session inside the import's single transaction: the rollup cache
hook sees the INSERTs and UPDATEs (casework.plans.cache._on_execute) and bumps the generation
in that transaction; the next chunk's queries see what earlier chunks wrote (a person created
at line 10 is matched at line 5,010); a failed import rolls back every chunk. A chunk's records
are dropped once it is written: what stays per row is its outcome and summary."""

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
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
        attribute = getattr(self.model, name, None)
        if isinstance(attribute, property):
            return attribute.fget(self)
        raise AttributeError(f"{self.model.__name__}.{name}")

    def __setattr__(self, name: str, value) -> None:
        if name not in self.values:
            raise AttributeError(f"{self.model.__name__} has no column {name}")
        self.values[name] = value

    @property
    def as_foreign_key(self):
        """What a foreign key to this record holds: its id, or itself while it has none."""
        return self if self.values.get("id") is None else self.values["id"]


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
    statement on PostgreSQL), so the ids are taken first and the rows inserted with them in a
    plain executemany. PostgreSQL: from the column's own sequence, as the default would.
    SQLite: max(id) + 1 on, as SQLite itself does; the import's transaction holds the write
    lock from its BEGIN IMMEDIATE (casework.db), so nobody can insert meanwhile."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        query = sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))
        return sorted(session.execute(query).scalars())
    last = session.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    return list(range(last + 1, last + 1 + count))


def _insert(table: sa.Table, rows: list[dict]) -> None:
    """INSERT the rows (their foreign keys resolved) in one executemany, giving them their ids."""
    for row, new_id in zip(rows, _reserve_ids(table, len(rows)), strict=True):
        row["id"] = new_id
    db.session.execute(sa.insert(table), rows)


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
        return self.read(model, sa.select(model.__table__).where(condition))

    def read(self, model, query: sa.Select) -> list[Staged]:
        """The records a select of the model's table rows gives, in id order."""
        result = db.session.execute(query.order_by(model.__table__.c.id))
        return [Staged(model, dict(row), is_new=False) for row in result.mappings()]

    def by_ref(self, model, refs: Iterable[str]) -> dict[str, Staged]:
        refs = {ref for ref in refs if ref}
        if not refs:
            return {}
        return {record.ref: record for record in self.select(model, model.ref.in_(refs))}

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
        """INSERT the new records (parents first), UPDATE the changed ones, then the audit log."""
        self._insert_created()
        self._resolve_links()
        self._update_changed()
        self._write_audit()

    def _resolve_links(self) -> None:
        """Foreign keys to records created in this chunk get their ids, where known by now."""
        for values, name in self._links:
            target = values[name]
            if isinstance(target, Staged) and target.values["id"] is not None:
                values[name] = target.values["id"]

    def _insert_created(self) -> None:
        order = {table: n for n, table in enumerate(db.metadata.sorted_tables)}
        by_model: dict[Any, list[Staged]] = defaultdict(list)
        for record in self._created:
            by_model[record.model].append(record)
        for model in sorted(by_model, key=lambda m: order[m.__table__]):
            self._resolve_links()  # the parents were inserted before
            _insert(model.__table__, [record.values for record in by_model[model]])

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

    def _write_audit(self) -> None:
        user_id, username = current_actor()  # once per chunk: the same for every entry
        entries = []
        for action, record, before, after in self._entries:
            model = record.model
            if not getattr(model, "__audited__", False):
                continue
            if action == "create":
                after = record.values if after is None else after | {"id": record.values["id"]}
                before, after = None, record_values(model, after)
            else:
                before, after = changed_values(model, before, after)
            entries.append(audit_entry(action, entity=model.__tablename__, entity_id=record.values["id"],
                                       person_id=_person_of(record), before=before, after=after,
                                       user_id=user_id, username=username))
        if entries:
            db.session.execute(sa.insert(AuditEntry.__table__), entries)


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
