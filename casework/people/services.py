"""Finding, matching, creating and merging people. Callers commit."""

import functools
import json
import math
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


def _ranges_of(text: str) -> tuple[tuple[str, str, str | None], ...]:
    """(key column, from, to) of each way the text can match (match_conditions); () for a blank
    text."""
    key = jp.fold(text)
    if not key:
        return ()
    if digits := _phone_digits(text):
        return (("phone_key", digits, _after_prefix(digits)),
                ("phone_tail_key", digits[::-1], _after_prefix(digits[::-1])))
    return tuple((column.key, key, _after_prefix(key)) for column in NAME_KEYS)


SEARCH_ORDERS = {
    "kana": SEARCH_ORDER,
    "new": (Person.created_at.desc(), Person.id.desc()),
    "updated": (Person.updated_at.desc(), Person.id.desc()),
}


def _ordered(person, sort: str) -> tuple:
    """SEARCH_ORDERS[sort] on `person` (Person or an alias of it)."""
    if sort == "kana":
        return person.kana_key, person.id
    return (person.created_at if sort == "new" else person.updated_at).desc(), person.id.desc()


# When a page walks its order's index, testing each person, instead of reading a way of matching's
# range and sorting it (SQLite: PersonSearch._walks): the range holds more people than this, for
# a page of 50. Reading a range costs an index entry per person in it (by furigana: the range's
# index holds the furigana) or a table row (other orders); walking costs a table row per person
# passed, about window × 870,000 / matches. At 1,000,000 cases the phone range "0164" (every
# number in town) took 2.0 s read for a page by last update and 155 ms by furigana, walked 0.1 ms;
# a given name's "た" (60,000 people) took 12 ms read, 7 ms walked by furigana.
WALK_FROM = {"kana": 40_000, "new": 5_000, "updated": 5_000}
# Keys whose matches sit together in furigana order: the furigana range is that order already,
# and a family name in kanji goes with its furigana (walking to 田中 by furigana read half the
# index: 1 s). By furigana their ranges are always read.
TOGETHER_BY_FURIGANA = ("kana_key", "name_key")


@dataclass(frozen=True)
class PersonSearch:
    """search(), visible to the user, in the order `sort`, cut for a page: for a page that needs
    the first `window` people, each way of matching reads at most `window` people from its index
    in that order, and only their union is sorted. "ﾀﾅｶ" among 870,000 people then reads about 50
    index entries, not every Tanaka (bench/README.md). For paging.paginate(search.people,
    count=search.ids, params=search.params); other callers execute with `search.params` too.

    A way of matching that holds a good part of the town (the phone range "0164" holds everyone)
    is not read and sorted for a page: the page walks the order's index testing each person, and
    has its page after a few of them. PostgreSQL's planner chooses that itself from its
    statistics of the keys; SQLite keeps none, so there the search first counts each range, up
    to the size from which walking pays (WALK_FROM).

    The text goes into the statements as parameters: their shape depends only on which keys are
    searched, the role, the order and which ranges are walked, so they are built once per shape
    and window (building the union of four index ranges took a quarter of the page)."""

    text: str
    user: object
    sort: str = "kana"

    @functools.cached_property
    def _ranges(self) -> tuple[tuple[str, str, str | None], ...]:
        return _ranges_of(self.text)

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
        """The ids of at least `window` matching people (all, when fewer match), each once. For
        a bounded count: in no order, so each range stops at its first `window` people."""
        return self._statements(window, None)[0]

    def people(self, window: int) -> sa.Select:
        """The matching people in order; the first `window` of them are exact."""
        return self._statements(window, self._walks(window))[1]

    def _statements(self, window: int, walks: tuple[int, ...] | None) -> tuple[sa.Select | sa.CompoundSelect, sa.Select]:
        dialect = db.session.get_bind().dialect.name
        key = (self._shape, window, walks, dialect)
        statements = _SEARCH_STATEMENTS.get(key)
        if statements is None:
            if len(_SEARCH_STATEMENTS) >= 512:
                _SEARCH_STATEMENTS.clear()
            statements = _SEARCH_STATEMENTS[key] = _search_statements(self._shape, window, walks, self.user,
                                                                      dialect)
        return statements

    def _walks(self, window: int) -> tuple[int, ...]:
        """The numbers of the ranges that a page needing `window` people walks the order's index
        for: on SQLite, those holding more than WALK_FROM people, scaled to the window (the walk
        grows with it, reading a range does not)."""
        if db.session.get_bind().dialect.name != "sqlite":
            return ()
        ranges, _role, sort = self._shape
        numbers = tuple(number for number, (column, _bounded) in enumerate(ranges)
                        if sort != "kana" or column not in TOGETHER_BY_FURIGANA)
        if not numbers:
            return ()
        enough = int(WALK_FROM[sort] * math.sqrt(max(window, 51) / 51))
        sizes = db.session.execute(_range_sizes(ranges, numbers), {**self.params, "enough": enough + 1}).one()
        return tuple(number for number, size in zip(numbers, sizes, strict=True) if size > enough)


_SEARCH_STATEMENTS: dict[tuple, tuple] = {}


def _key_range(person, ranges: tuple, number: int, *, walked: bool = False) -> sa.ColumnElement[bool]:
    """The person's key of range `number` starts with the text's (parameters from_<n>, to_<n>):
    as a range of the key's index, or, walked, as a test no index answers, so that the planner
    walks the order's index instead."""
    column_name, bounded = ranges[number]
    column = getattr(person, column_name)
    start = sa.bindparam(f"from_{number}", type_=column.type)
    if walked:
        return sa.func.substr(column, 1, sa.func.length(start)) == start
    return sa.and_(column >= start, column < sa.bindparam(f"to_{number}")) if bounded else column >= start


@functools.lru_cache(maxsize=64)
def _range_sizes(ranges: tuple, numbers: tuple[int, ...]) -> sa.Select:
    """How many live people each of these ranges holds, counting no further than :enough."""
    return sa.select(*(
        sa.select(sa.func.count()).select_from(
            sa.select(Person.id).where(Person.merged_into_id.is_(None), _key_range(Person, ranges, number))
            .limit(sa.bindparam("enough")).subquery()).scalar_subquery()
        for number in numbers))


def _search_statements(shape: tuple, window: int, walks: tuple[int, ...] | None, user,
                       dialect: str) -> tuple[sa.Select | sa.CompoundSelect, sa.Select]:
    """(ids, people) of a search of this shape. The user stands for their role (part of the
    shape): what a role may see is the same for everyone holding it (visible_to). `walks`: the
    ranges walked in the page's order (PersonSearch._walks); None for the ids, which read each
    range in its own index's order."""
    ranges, _role, sort = shape
    order = SEARCH_ORDERS[sort]
    if not ranges:
        live = sa.select(Person.id).where(Person.merged_into_id.is_(None))
        return visible_to(user, live), visible_to(user, live_people()).order_by(*order)
    searched = Person
    if dialect == "postgresql" and not user.can("people.write"):
        # Who may see whom (visible_to, on Person) is asked of a second reading of each person
        # by id, which PostgreSQL loops over one person at a time. Asked of the people read from
        # the range, it expected to test every one of them (655,000 for "0164") and hashed each
        # program's people once a query, where a page stops after a few hundred: a coordinator's
        # 213,000 students and host families took 70-180 ms a query, the probes 1-3 ms a page.
        searched = sa.orm.aliased(Person, name="searched")
    branches = []
    for number, (column_name, _bounded) in enumerate(ranges):
        walked = walks is not None and number in walks
        branch = (sa.select(searched.id)
                  .where(searched.merged_into_id.is_(None), _key_range(searched, ranges, number, walked=walked))
                  .order_by(*(_ordered(searched, sort) if walks is not None else (getattr(searched, column_name),)))
                  .limit(window))
        if searched is not Person:
            branch = branch.join(Person, Person.id == searched.id)
        branches.append(sa.select(visible_to(user, branch).subquery().c.id))
    ids = sa.union(*branches)
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


# A case list's name filter (MatchingRecords) goes about it by how many live people the text
# matches, each way of matching counted up to MANY_PEOPLE + 1. Measured at 1,000,000 cases on the
# startup list, newest first (SQLite / PostgreSQL): the 671 people of たなかた had their cases
# read person by person and sorted in 3.7 / 4.9 ms, and the list's index walked for them in
# 129 / 72 ms; the 8,735 of たなか took 28 / 62 ms read, 14 / 18 ms walked looking each case's
# person up among them (gathered once), 19 / 73 ms walked testing each case's person's keys; the
# 130,594 of た 99 / 130 ms gathered, 3.2 / 3.2 ms tested.
FEW_PEOPLE = 2_000  # up to this, their records are read person by person and sorted
MANY_PEOPLE = 20_000  # up to this, the list's index is walked looking people up; beyond, testing keys


@dataclass(frozen=True)
class MatchingRecords:
    """The records of `model` (a table with person_id) whose person the text matches (the ways
    of search()), or that meet `also` (a startup case's reference number): a case list's name
    filter, for any of its other conditions (on the model) and orders.

    `x.person_id IN (the matching people)` in the list's query left the plan to the planners,
    which read every match when a few would do, or walked the whole list for none: at 1,000,000
    cases a startup list filtered by a name nobody has took 1.5 s, by a phone number 1.4 s. Here
    the way depends on how many people match (FEW_PEOPLE, MANY_PEOPLE)."""

    model: type
    text: str
    also: sa.ColumnElement[bool] | None = None

    @functools.cached_property
    def _ranges(self) -> tuple[tuple[str, str, str | None], ...]:
        return _ranges_of(self.text)

    def _in_range(self, number: int, person=Person, *, walked: bool = False) -> sa.ColumnElement[bool]:
        column_name, start, _end = self._ranges[number]
        column = getattr(person, column_name)
        if walked:  # a test no index answers: the planner walks the order's index instead
            return sa.func.substr(column, 1, len(start)) == start
        return starts_with(column, start)

    def _matches(self, person=Person) -> sa.ColumnElement[bool]:
        return sa.or_(*(self._in_range(number, person) for number in range(len(self._ranges))))

    def _in_ranges(self) -> list[sa.Select]:
        return [sa.select(Person.id).where(Person.merged_into_id.is_(None), self._in_range(number))
                for number in range(len(self._ranges))]

    @functools.cached_property
    def _matched(self) -> int:
        """How many live people the text matches (twice, matched two ways), counted up to
        MANY_PEOPLE + 1: the ranges read one after the other, stopping there."""
        if not self._ranges:
            return 0
        counted = sa.union_all(*self._in_ranges()).limit(MANY_PEOPLE + 1).subquery()
        return db.session.scalar(sa.select(sa.func.count()).select_from(counted))

    @functools.cached_property
    def sizes(self) -> tuple[int, ...]:
        """How many live people each way of matching holds, counted up to MANY_PEOPLE + 1."""
        if not self._ranges:
            return ()
        return tuple(db.session.execute(sa.select(*(
            sa.select(sa.func.count()).select_from(in_range.limit(MANY_PEOPLE + 1).subquery()).scalar_subquery()
            for in_range in self._in_ranges()))).one())

    @property
    def _few(self) -> bool:
        return self._matched <= FEW_PEOPLE

    @property
    def _many(self) -> bool:
        return self._matched > MANY_PEOPLE

    def people(self) -> sa.CompoundSelect | sa.Select:
        """The ids of the live people the text matches, each once: one index range each way."""
        if not self._ranges:
            return sa.select(Person.id).where(sa.false())
        return sa.union(*self._in_ranges())

    def _also(self, conditions) -> list[sa.Select]:
        return [] if self.also is None else [sa.select(self.model.id).where(self.also, *conditions)]

    def _ids(self, conditions) -> sa.CompoundSelect:
        """The ids of every matching record meeting the conditions (few people: person by person)."""
        return sa.union(sa.select(self.model.id).where(self.model.person_id.in_(self.people()), *conditions),
                        *self._also(conditions))

    def in_order(self, query: sa.Select, conditions, order, window: int, *, walk: bool) -> sa.Select:
        """query (select(model), joined with Person as it likes) limited to the matching records
        meeting the conditions, in `order` (on the model), exact for the first `window` rows; for
        paging.paginate(lambda window: ...). `walk`: an index holds the order (a page reads it
        from the top); else the matches are read and sorted."""
        model = self.model
        if self._few or (not walk and not self._many):
            return query.where(model.id.in_(self._ids(conditions))).order_by(*order)
        if not walk:  # many people match and no index holds the order: the planner's way, as before
            return query.where(sa.or_(self._matches(), *([self.also] if self.also is not None else [])),
                               *conditions).order_by(*order)
        first = sa.select(model.id).where(*conditions).order_by(*order).limit(window)
        if self._many:
            # Most records are of matching people: test each record's person as the walk goes.
            first = first.join(Person, Person.id == model.person_id).where(self._matches())
        else:
            # Gathered once (SQLite: a list, PostgreSQL: a hash) and looked up for each record
            # of the walk; IS TRUE keeps the planners from reading the people's records instead.
            first = first.where(model.person_id.in_(self.people()).is_(sa.true()))
        firsts = sa.union(sa.select(first.subquery().c.id), *self._also(conditions))
        return query.where(model.id.in_(firsts)).order_by(*order)

    def in_kana_order(self, conditions, window: int) -> sa.Select:
        """in_kana_order(model, conditions + this filter, window) reading only the matching people:
        each way of matching gives its first `window` people with such a record in furigana order
        (a range that is not in that order is sorted, or, holding more than MANY_PEOPLE people,
        tested along the furigana index), and their records are listed."""
        model = self.model
        order = (*SEARCH_ORDER, model.id)
        query = sa.select(model).join(Person, Person.id == model.person_id)
        if self._few:
            return query.where(model.id.in_(self._ids(conditions))).order_by(*order)
        has_record = sa.exists().where(model.person_id == Person.id, *conditions)
        branches = []
        for number, ((column_name, _start, _end), size) in enumerate(zip(self._ranges, self.sizes, strict=True)):
            walked = size > MANY_PEOPLE and column_name not in TOGETHER_BY_FURIGANA
            branches.append(sa.select(Person.id).where(
                Person.merged_into_id.is_(None), self._in_range(number, walked=walked), has_record)
                .order_by(*SEARCH_ORDER).limit(window))
        if self.also is not None:
            branches.append(sa.select(model.person_id).where(self.also, *conditions))
        first_people = sa.union(*(sa.select(branch.subquery().c[0]) for branch in branches))
        return (query.where(model.person_id.in_(first_people), *conditions,
                            sa.or_(self._matches(), *([self.also] if self.also is not None else [])))
                .order_by(*order))

    def count(self, conditions, limit: int) -> sa.CompoundSelect | sa.Select:
        """The ids of at least `limit` matching records meeting the conditions (all, when fewer):
        for paging's bounded count. Most records being of matching people (many), any `limit` of
        them are found soon testing each record's person; else each way of matching reads its
        people along its index and their records (person_id index) until it has `limit`: ordered
        by the key, PostgreSQL loops over the people rather than hash every record of the table.
        (At 1,000,000 cases: 2-28 ms, where `person_id IN (the matching people)` read all of
        them: 0.5-3 s for "0164".)"""
        model = self.model
        if not self._ranges and self.also is None:
            return sa.select(model.id).where(sa.false())
        if self._many:
            branches = [sa.select(model.id).join(Person, Person.id == model.person_id)
                        .where(self._matches(), *conditions).limit(limit)]
        else:
            branches = [sa.select(model.id).join(Person, Person.id == model.person_id)
                        .where(Person.merged_into_id.is_(None), self._in_range(number), *conditions)
                        .order_by(getattr(Person, column_name)).limit(limit)
                        for number, (column_name, _start, _end) in enumerate(self._ranges)]
        return sa.union(*(sa.select(branch.subquery().c.id) for branch in branches), *self._also(conditions))


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
