"""Finding, matching, creating and merging people. Callers commit."""

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
    return query.where(sa.or_(*(Person.id.in_(p.person_ids()) for p in programs)))


def can_see(user, person: Person) -> bool:
    return db.session.scalar(visible_to(user, sa.select(Person.id).where(Person.id == person.id))) is not None


def search(query_text: str) -> sa.Select:
    """People whose name or furigana contains the text in any script or width, or whose phone
    number contains the digits typed (with or without hyphens)."""
    query = live_people()
    key = jp.fold(query_text)
    if not key:
        return query.order_by(Person.kana_key, Person.id)
    digits = jp.normalize_phone(query_text)
    conditions = [Person.name_key.contains(key, autoescape=True),
                  Person.kana_key.contains(key, autoescape=True)]
    if digits and len(digits) >= 3 and digits == jp.fold(query_text).replace("ー", ""):
        conditions.append(Person.phone_key.contains(digits, autoescape=True))
    return query.where(sa.or_(*conditions)).order_by(Person.kana_key, Person.id)


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
