"""Finding, matching, creating and merging people. Callers commit."""

import functools
import json
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa

from casework import jp
from casework.audit.trail import record_event
from casework.extensions import db
from casework.people.models import Person
from casework.people.programs import readable_programs

PERSON_FIELDS = ("family_name", "given_name", "family_name_kana", "given_name_kana",
                 "birth_date", "phone", "email", "postal_code", "address", "note")


def live_people() -> sa.Select:
    """People not merged into someone else."""
    return sa.select(Person).where(Person.merged_into_id.is_(None))


def visible_to(user, query: sa.Select) -> sa.Select:
    """Restricts a query on Person to the people this user may see: everyone for staff who
    register people (the counter), else people in a program the user may read."""
    if user.can("people.write"):
        return query
    programs = readable_programs(user)
    if not programs:
        return query.where(sa.false())
    return query.where(sa.or_(*(p.takes_part() for p in programs)))


def can_see(user, person: Person) -> bool:
    return db.session.scalar(visible_to(user, sa.select(Person.id).where(Person.id == person.id))) is not None


# What a person search matches, each the START of a folded key (jp.fold: any script, width or
# spacing): the full name or furigana (so the family name, or family and given name typed
# together), or the given name or its furigana alone. Each is one index range (models.live_index).
NAME_KEYS = (Person.kana_key, Person.name_key, Person.given_kana_key, Person.given_name_key)
SEARCH_ORDER = (Person.kana_key, Person.id)


def _after_prefix(prefix: str) -> str | None:
    """The first string after every string that starts with prefix, in code point order (SQLite's
    BINARY and PostgreSQL's "C" collation); None when there is none."""
    while prefix:
        following = ord(prefix[-1]) + 1
        if 0xD800 <= following <= 0xDFFF:  # surrogates are not characters
            following = 0xE000
        if following <= 0x10FFFF:
            return prefix[:-1] + chr(following)
        prefix = prefix[:-1]
    return None


def starts_with(column, prefix: str) -> sa.ColumnElement[bool]:
    """column starts with prefix, written as a range an index reads (LIKE would not be one on
    SQLite without changing how LIKE treats case)."""
    after = _after_prefix(prefix)
    return column >= prefix if after is None else sa.and_(column >= prefix, column < after)


def _phone_digits(query_text: str) -> str:
    """The digits typed, when the text is a phone number or part of one (3 digits or more,
    hyphens and spaces allowed); else ""."""
    digits = jp.normalize_phone(query_text)
    if len(digits) >= 3 and digits == jp.fold(query_text).replace("ー", ""):
        return digits
    return ""


def match_conditions(query_text: str) -> list[sa.ColumnElement[bool]]:
    """One condition per way the text can match a person; [] for a blank text."""
    key = jp.fold(query_text)
    if not key:
        return []
    if digits := _phone_digits(query_text):
        return [starts_with(Person.phone_key, digits), starts_with(Person.phone_tail_key, digits[::-1])]
    return [starts_with(column, key) for column in NAME_KEYS]


def matches(query_text: str) -> sa.ColumnElement[bool] | None:
    """The condition on Person of a search for the text; None for a blank text (no condition)."""
    conditions = match_conditions(query_text)
    return sa.or_(*conditions) if conditions else None


def search(query_text: str) -> sa.Select:
    """Everyone (not merged away) whose family or given name, in kanji or furigana, starts with
    the text in any script or width, or whose phone number starts or ends with the digits typed.
    Ordered by furigana. For a filter (`.with_only_columns(Person.id)`); a page of people
    comes faster from PersonSearch."""
    query = live_people()
    condition = matches(query_text)
    if condition is not None:
        query = query.where(condition)
    return query.order_by(*SEARCH_ORDER)


SEARCH_ORDERS = {
    "kana": SEARCH_ORDER,
    "new": (Person.created_at.desc(), Person.id.desc()),
    "updated": (Person.updated_at.desc(), Person.id.desc()),
}


@dataclass(frozen=True)
class PersonSearch:
    """search(), visible to the user, in the order `sort`, cut for a page: for a page that needs
    the first `window` people, each way of matching reads at most `window` people from its index
    in that order, and only their union is sorted. "ﾀﾅｶ" among 870,000 people then reads about 50
    index entries, not every Tanaka (bench/README.md). For paging.paginate(search.people,
    count=search.ids, params=search.params); other callers execute with `search.params` too.

    The text goes into the statements as parameters: their shape depends only on which keys are
    searched, the role and the order, so they are built once per shape and window (building the
    union of four index ranges took a quarter of the page)."""

    text: str
    user: object
    sort: str = "kana"

    @functools.cached_property
    def _ranges(self) -> tuple[tuple[str, str, str | None], ...]:
        """(key column, from, to) of each way the text can match; () for a blank text."""
        key = jp.fold(self.text)
        if not key:
            return ()
        if digits := _phone_digits(self.text):
            return (("phone_key", digits, _after_prefix(digits)),
                    ("phone_tail_key", digits[::-1], _after_prefix(digits[::-1])))
        return tuple((column.key, key, _after_prefix(key)) for column in NAME_KEYS)

    @functools.cached_property
    def params(self) -> dict[str, str]:
        values = {}
        for number, (_column, start, end) in enumerate(self._ranges):
            values[f"from_{number}"] = start
            if end is not None:
                values[f"to_{number}"] = end
        return values

    @property
    def _shape(self) -> tuple:
        ranges = tuple((column, end is not None) for column, _start, end in self._ranges)
        return ranges, self.user.role, self.sort if self.sort in SEARCH_ORDERS else "kana"

    def ids(self, window: int) -> sa.Select | sa.CompoundSelect:
        """The ids of (at least) the first `window` matching people, each once."""
        return self._statements(window)[0]

    def people(self, window: int) -> sa.Select:
        """The matching people in order; the first `window` of them are exact."""
        return self._statements(window)[1]

    def _statements(self, window: int) -> tuple[sa.Select | sa.CompoundSelect, sa.Select]:
        key = (self._shape, window)
        statements = _SEARCH_STATEMENTS.get(key)
        if statements is None:
            if len(_SEARCH_STATEMENTS) >= 512:
                _SEARCH_STATEMENTS.clear()
            statements = _SEARCH_STATEMENTS[key] = _search_statements(self._shape, window, self.user)
        return statements


_SEARCH_STATEMENTS: dict[tuple, tuple] = {}


def _search_statements(shape: tuple, window: int, user) -> tuple[sa.Select | sa.CompoundSelect, sa.Select]:
    """(ids, people) of a search of this shape. The user stands for their role (part of the
    shape): what a role may see is the same for everyone holding it (visible_to)."""
    ranges, _role, sort = shape
    order = SEARCH_ORDERS[sort]
    live = sa.select(Person.id).where(Person.merged_into_id.is_(None))
    if not ranges:
        return visible_to(user, live), visible_to(user, live_people()).order_by(*order)
    conditions = []
    for number, (column_name, bounded) in enumerate(ranges):
        column = getattr(Person, column_name)
        condition = column >= sa.bindparam(f"from_{number}")
        if bounded:
            condition = sa.and_(condition, column < sa.bindparam(f"to_{number}"))
        conditions.append(condition)
    ids = sa.union(*(
        sa.select(visible_to(user, live.where(condition)).order_by(*order).limit(window).subquery().c.id)
        for condition in conditions))
    return ids, live_people().where(Person.id.in_(ids)).order_by(*order)


def in_kana_order(model, conditions: list, window: int) -> sa.Select:
    """select(model) (a record with a person_id) where the conditions hold, in its person's
    furigana order (then person, then record), exact for the first `window` rows. Ordering the
    join by the person's furigana makes SQLite sort every record (53,000 host families: 20 ms a
    page); here the furigana index is walked, asking each person whether they have such a record,
    until `window` people are found. For paging.paginate(lambda window: in_kana_order(...))."""
    has_record = sa.exists().where(model.person_id == Person.id, *conditions)
    # Nobody's records point at a merged person (merge() moves them): the live index will do.
    first_people = (sa.select(Person.id).where(Person.merged_into_id.is_(None), has_record)
                    .order_by(*SEARCH_ORDER).limit(window))
    return (sa.select(model).join(Person, Person.id == model.person_id)
            .where(model.person_id.in_(first_people), *conditions)
            .order_by(*SEARCH_ORDER, model.id))


def same_person(family_kana: str, given_kana: str, birth_date: date | None) -> Person | None:
    """The rule imports use: same furigana after folding and same birth date."""
    if birth_date is None:
        return None
    key = jp.fold_kana_name(family_kana, given_kana)
    return db.session.scalar(
        live_people().where(Person.kana_key == key, Person.birth_date == birth_date)
        .order_by(Person.id).limit(1))


def possible_duplicates(family_kana: str, given_kana: str, birth_date: date | None,
                        phone: str = "", exclude_id: int | None = None) -> list[Person]:
    """People the form should offer instead of creating a new one: same folded furigana and
    birth date, or the same phone number."""
    conditions = []
    if birth_date is not None and (family_kana or given_kana):
        conditions.append(sa.and_(Person.kana_key == jp.fold_kana_name(family_kana, given_kana),
                                  Person.birth_date == birth_date))
    phone_key = jp.normalize_phone(phone)
    if len(phone_key) >= 6:
        conditions.append(Person.phone_key == phone_key)
    if not conditions:
        return []
    query = live_people().where(sa.or_(*conditions))
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    return list(db.session.scalars(query.order_by(Person.id).limit(20)))


@dataclass
class PersonFields:
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date | None = None
    phone: str = ""
    email: str = ""
    postal_code: str = ""
    address: str = ""
    note: str = ""


def create_person(fields: PersonFields) -> Person:
    person = Person(**{name: getattr(fields, name) for name in PERSON_FIELDS})
    db.session.add(person)
    db.session.flush()
    return person


def update_person(person: Person, fields: PersonFields, *, keep_empty: bool = False) -> None:
    """Copy the fields onto the person. With keep_empty, empty values do not erase what is
    known (imports: a CSV without a phone column must not wipe the phone)."""
    for name in PERSON_FIELDS:
        value = getattr(fields, name)
        if keep_empty and value in (None, ""):
            continue
        if getattr(person, name) != value:
            setattr(person, name, value)


def keep_spelling(person: Person, fields: PersonFields) -> PersonFields:
    """The fields, with the person's stored spelling wherever the new one only differs in
    width, script or spacing (ﾀﾅｶ for たなか, 0164-42-1234 for 0164421234): importing the
    same person twice, or two rows spelling them differently, changes nothing."""
    kept = replace(fields)
    for name in ("family_name", "given_name", "family_name_kana", "given_name_kana"):
        if jp.fold(getattr(fields, name)) == jp.fold(getattr(person, name)):
            setattr(kept, name, getattr(person, name))
    if fields.phone and jp.normalize_phone(fields.phone) == jp.normalize_phone(person.phone):
        kept.phone = person.phone
    return kept


def find_or_create(fields: PersonFields) -> tuple[Person, bool]:
    """Match by furigana and birth date (interfaces.md), else create. (person, created)"""
    person = same_person(fields.family_name_kana, fields.given_name_kana, fields.birth_date)
    if person is not None:
        update_person(person, keep_spelling(person, fields), keep_empty=True)
        return person, False
    return create_person(fields), True


def _person_references() -> list[sa.Column]:
    people_id = Person.__table__.c.id
    return [fk.parent for table in db.metadata.sorted_tables if table is not Person.__table__
            for fk in table.foreign_keys if fk.column is people_id]


def merge(survivor: Person, duplicate: Person) -> dict[str, int]:
    """Move everything that points at the duplicate to the survivor; the duplicate stays,
    marked as merged, so the audit trail keeps both. Returns rows moved per table."""
    if survivor.id == duplicate.id:
        raise ValueError("同じ人どうしは統合できません。")
    if duplicate.merged_into_id is not None or survivor.merged_into_id is not None:
        raise ValueError("既に統合された人は統合できません。")
    moved = {}
    for column in _person_references():
        result = db.session.execute(
            sa.update(column.table).where(column == duplicate.id).values({column.name: survivor.id}))
        if result.rowcount:
            moved[column.table.name] = result.rowcount
    duplicate.merged_into_id = survivor.id
    for name in ("phone", "email", "postal_code", "address", "birth_date"):
        if not getattr(survivor, name) and getattr(duplicate, name):
            setattr(survivor, name, getattr(duplicate, name))
    detail = f"対象者 #{duplicate.id} を #{survivor.id} に統合: " + ", ".join(
        f"{table} {count}件" for table, count in moved.items())
    record_event("merge", entity="people", entity_id=survivor.id, person_id=survivor.id, detail=detail)
    record_event("merge", entity="people", entity_id=duplicate.id, person_id=duplicate.id, detail=detail)
    db.session.expire_all()
    return moved


def match_key(family_kana: str, given_kana: str, birth_date: date | None) -> tuple[str, date] | None:
    """What same_person() matches on: (folded furigana, birth date). None without a birth date:
    such a row never matches anyone."""
    if birth_date is None:
        return None
    return jp.fold_kana_name(family_kana, given_kana), birth_date


# The keys matching_people() is given, as a table of (kana_key, birth_date) read from one JSON
# parameter. A long IN list of pairs made SQLite scan the whole table and PostgreSQL plan one
# branch per pair, and a VALUES list of bound parameters cost more to build than to run.
_KEYS_FROM_JSON = {
    "sqlite": "SELECT json_extract(value, '$.k') AS kana_key, json_extract(value, '$.d') AS birth_date "
              "FROM json_each(:keys)",
    "postgresql": "SELECT k AS kana_key, d AS birth_date FROM json_to_recordset(CAST(:keys AS json)) "
                  "AS keys(k text, d date)",
}


def matching_people(keys) -> sa.Select:
    """same_person() for many match_key()s at once (the batched import loader): the live people
    having any of these keys, as rows of the people table, in id order; the caller picks the
    lowest id per key, as same_person() does.

    Each key is one probe of ix_people_kana_key_birth_date, whatever the statistics
    (tests/test_performance_plans.py). SQLite's planner does that with a plain join. PostgreSQL's
    does not on tables with no statistics yet (the import writes and reads people in one
    transaction): it takes `merged_into_id IS NULL` as 0.5 % of the rows and the keys as 100, and
    hash-joins them with every live person, read through a partial index of the live people (35 ms
    a chunk of 2,000 keys at 90,000 people, 58 ms with a refused run's dead rows). So there the
    people of each key are a LATERAL subquery that is planned on its own: OFFSET 0 keeps the
    planner from pulling it up into a plain join, and from pushing the outer condition into it,
    so it only has the key's two equalities, which the (kana_key, birth_date) index answers (the
    partial indexes of the live people cannot: their condition is not in the subquery); the merged
    people are dropped after (a handful, if any, per key). The only plan left is a nested loop over
    the keys probing the index once per key (6-9 ms a chunk, bench/README.md "Import")."""
    table = Person.__table__
    dialect = db.session.get_bind().dialect.name
    payload = json.dumps([{"k": key, "d": birth.isoformat()} for key, birth in keys], ensure_ascii=False)
    wanted = (sa.text(_KEYS_FROM_JSON[dialect]).bindparams(keys=payload)
              .columns(kana_key=sa.String, birth_date=sa.Date).subquery("wanted"))
    same_key = sa.and_(table.c.kana_key == wanted.c.kana_key, table.c.birth_date == wanted.c.birth_date)
    if dialect != "postgresql":
        return (sa.select(table).join(wanted, same_key)
                .where(table.c.merged_into_id.is_(None)).order_by(table.c.id))
    found = sa.select(table).where(same_key).offset(0).lateral("found")
    return (sa.select(*found.c).select_from(wanted).join(found, sa.true())
            .where(found.c.merged_into_id.is_(None)).order_by(found.c.id))
