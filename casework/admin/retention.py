"""The personal-data retention job (保存期間を過ぎた個人情報の匿名化): `flask --app wsgi data
anonymize`. THE retention rule is written here, and nowhere else (README「個人情報」 repeats it).

The cutoff is today (JST) minus RETENTION_YEARS years (default 5). A record KEEPS its person
while it is open, or while any of its dates, or its last update, falls on or after the cutoff:

- 創業支援 (startup case): open while 相談中 / 支援中 (支援完了, 創業済, 中断 and 取消 have ended);
  dates: first consultation, founding, certificate issue and every consultation.
- 移住受入支援 (migration case, the applicant): open while 相談 / 検討中 / 支援中, or while a
  settlement check (定住確認) is scheduled and not yet recorded; dates: inquiry, move-in,
  move-out, every contact, support (given, term start and end) and recorded check; with a
  移住支援金, also while it may still have to be repaid (MIGRANT_REPAY_HALF_YEARS after the
  move-in). The placed student a family's case names is kept by the case's status and dates.
- 越境学生 (student): open while a placement (not 取消) has no last night; dates: every
  placement's first and last night, the expected graduation.
- 受入家庭 (host family, its head): open until 登録終了 or 取消, and while a student placed there
  has no last night; dates: registration, training, screening steps, unavailable periods and
  the placements it hosted.
- The person record itself: created or last updated.
"Last update" is the record's own updated_at, and that of what belongs to it (consultations,
contacts, supports, checks, household members, guardians, placements of the student, screening
steps): a correction made today restarts the clock. A person with no record at all is kept
until their own record is older than the cutoff. A person merged into another (merged_into_id)
follows the survivor. A person already anonymized is never selected again.

Organization contacts (企業・機関の担当者) are not 対象者 but are personal data: they are cleared
when their organization has no partnership 協議中 / 締結 / 実施中 (as the organization or as a
local partner) and its partnerships (agreement, end, outcomes), activities, contacts and the
organization itself were all last dated or updated before the cutoff.

Anonymizing replaces the names with 「匿名化済 #id」, empties every other column the register of
personal data (casework.admin.privacy) lists for the person's own records — the person, the
cases and what belongs to them — including the folded search keys, so neither search nor import
matching finds them again, and stamps people.anonymized_at. Ids, dates, statuses, household
sizes and links stay: every rollup number is the same afterwards. Audit entries about those
people and records get their personal values masked (casework.audit.redaction), and the run
itself is recorded (how many, which ids, no names). Callers commit, once."""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa
from flask import current_app

from casework import jp
from casework.admin.privacy import personal_data_register
from casework.audit import redaction
from casework.audit.trail import record_event
from casework.db import utcnow
from casework.extensions import db
from casework.imports.services import forget_abandoned_uploads
from casework.migrants.models import Contact, FollowUp, HouseholdMember, MigrationCase, SupportItem
from casework.partnerships.models import (
    Activity,
    Organization,
    OrganizationContact,
    Outcome,
    Partnership,
    PartnershipPartner,
)
from casework.people.models import Person
from casework.startups.models import Consultation, StartupCase
from casework.students.models import (
    CANCELLED,
    ENDED,
    HostFamily,
    HostFamilyStep,
    Placement,
    Student,
    StudentContact,
    UnavailablePeriod,
)

PLACEHOLDER = "匿名化済"
_CHUNK = 500

STARTUP_OPEN = ("consulting", "supporting")
MIGRATION_OPEN = ("consulting", "considering", "supporting")
HOST_FAMILY_ENDED = (ENDED, CANCELLED)
PARTNERSHIP_OPEN = ("negotiating", "concluded", "active")

# Every column pointing at people.id, and so every way a person takes part in a program. A new
# one makes the job refuse to run until the rule above says when it ends.
PERSON_LINKS = frozenset({
    ("people", "merged_into_id"),
    ("startup_cases", "person_id"),
    ("migration_cases", "person_id"),
    ("migration_cases", "student_person_id"),
    ("host_families", "person_id"),
    ("students", "person_id"),
})
# Tables with personal columns that are not about a 対象者: staff accounts, the audit log
# (redacted, not cleared) and organization contacts (their own rule).
# pending_imports: uploads awaiting confirmation, whoever they name, are removed once abandoned.
NOT_ABOUT_A_PERSON = frozenset({"users", "audit_log", "organization_contacts", "pending_imports"})


class RetentionError(RuntimeError):
    """A Japanese message: the job cannot run safely."""


def person_placeholder(person_id: int) -> str:
    return f"{PLACEHOLDER} #{person_id}"


def cutoff_for(years: int, today: date | None = None) -> date:
    """The first day that still counts: a record dated on or after it keeps its person."""
    today = today or jp.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _on_or_after(day: date, *columns) -> sa.ColumnElement[bool]:
    return sa.or_(*(column >= day for column in columns))


# --- who is kept -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Cutoff:
    day: date
    moment: datetime  # the start of that day in Japan, for updated_at

    @classmethod
    def of(cls, day: date) -> "_Cutoff":
        return cls(day, datetime.combine(day, time.min, tzinfo=jp.JST))


def _kept_by_startups(c: _Cutoff) -> list[sa.Select]:
    case = sa.select(StartupCase.person_id).where(sa.or_(
        StartupCase.status.in_(STARTUP_OPEN),
        _on_or_after(c.day, StartupCase.first_consulted_on, StartupCase.founded_on,
                     StartupCase.certificate_issued_on),
        StartupCase.updated_at >= c.moment))
    consultations = (sa.select(StartupCase.person_id)
                     .join(Consultation, Consultation.case_id == StartupCase.id)
                     .where(sa.or_(Consultation.held_on >= c.day, Consultation.updated_at >= c.moment)))
    return [case, consultations]


def _kept_by_migrants(c: _Cutoff) -> list[sa.Select]:
    open_or_dated = sa.or_(
        MigrationCase.status.in_(MIGRATION_OPEN),
        _on_or_after(c.day, MigrationCase.inquired_on, MigrationCase.moved_in_on, MigrationCase.moved_out_on))
    repay_years = current_app.config["MIGRANT_REPAY_HALF_YEARS"]
    grant_may_be_repaid = sa.and_(
        MigrationCase.moved_in_on >= cutoff_for(repay_years, c.day),
        sa.exists().where(SupportItem.case_id == MigrationCase.id, SupportItem.kind == "grant"))
    check_scheduled = sa.and_(FollowUp.outcome.is_(None), MigrationCase.status != "cancelled")

    def of_case(child, condition) -> sa.Select:
        return (sa.select(MigrationCase.person_id).join(child, child.case_id == MigrationCase.id)
                .where(condition))

    return [
        sa.select(MigrationCase.person_id).where(sa.or_(
            open_or_dated, grant_may_be_repaid, MigrationCase.updated_at >= c.moment)),
        of_case(FollowUp, sa.or_(check_scheduled, _on_or_after(c.day, FollowUp.checked_on, FollowUp.moved_out_on),
                                 FollowUp.updated_at >= c.moment)),
        of_case(Contact, sa.or_(Contact.contacted_on >= c.day, Contact.updated_at >= c.moment)),
        of_case(SupportItem, sa.or_(
            _on_or_after(c.day, SupportItem.given_on, SupportItem.term_start, SupportItem.term_end),
            SupportItem.updated_at >= c.moment)),
        of_case(HouseholdMember, HouseholdMember.updated_at >= c.moment),
        sa.select(MigrationCase.student_person_id).where(open_or_dated),
        (sa.select(MigrationCase.student_person_id).join(FollowUp, FollowUp.case_id == MigrationCase.id)
         .where(check_scheduled)),
    ]


def _kept_by_students(c: _Cutoff) -> list[sa.Select]:
    placement_open = sa.and_(Placement.status != CANCELLED, Placement.ended_on.is_(None))
    placement_dated = _on_or_after(c.day, Placement.started_on, Placement.ended_on)
    return [
        sa.select(Student.person_id).where(sa.or_(Student.expected_graduation_on >= c.day,
                                                  Student.updated_at >= c.moment)),
        (sa.select(Student.person_id).join(Placement, Placement.student_id == Student.id)
         .where(sa.or_(placement_open, placement_dated, Placement.updated_at >= c.moment))),
        (sa.select(Student.person_id).join(StudentContact, StudentContact.student_id == Student.id)
         .where(StudentContact.updated_at >= c.moment)),
    ]


def _kept_by_host_families(c: _Cutoff) -> list[sa.Select]:
    def of_family(child, condition) -> sa.Select:
        return (sa.select(HostFamily.person_id).join(child, child.host_family_id == HostFamily.id)
                .where(condition))

    return [
        sa.select(HostFamily.person_id).where(sa.or_(
            HostFamily.status.not_in(HOST_FAMILY_ENDED),
            _on_or_after(c.day, HostFamily.registered_on, HostFamily.training_on),
            HostFamily.updated_at >= c.moment)),
        of_family(HostFamilyStep, sa.or_(HostFamilyStep.done_on >= c.day, HostFamilyStep.updated_at >= c.moment)),
        of_family(UnavailablePeriod, sa.or_(UnavailablePeriod.ends_on >= c.day,
                                            UnavailablePeriod.updated_at >= c.moment)),
        # Placements belong to the student (their updates are the student's); the family is
        # kept by their nights only.
        of_family(Placement, sa.or_(sa.and_(Placement.status != CANCELLED, Placement.ended_on.is_(None)),
                                    _on_or_after(c.day, Placement.started_on, Placement.ended_on))),
    ]


def _kept_by_own_record(c: _Cutoff) -> list[sa.Select]:
    return [sa.select(Person.id).where(sa.or_(Person.created_at >= c.moment, Person.updated_at >= c.moment))]


KEPT_BY: tuple[Callable[[_Cutoff], list[sa.Select]], ...] = (
    _kept_by_startups, _kept_by_migrants, _kept_by_students, _kept_by_host_families, _kept_by_own_record)


def _survivors_eligible(c: _Cutoff) -> list[int]:
    kept = sa.union(*(select for rule in KEPT_BY for select in rule(c))).subquery()
    kept_ids = sa.select(kept.c[0]).where(kept.c[0].is_not(None))
    return list(db.session.scalars(
        sa.select(Person.id)
        .where(Person.anonymized_at.is_(None), Person.merged_into_id.is_(None), Person.id.not_in(kept_ids))
        .order_by(Person.id)))


def _merged_followers(survivors: set[int]) -> list[int]:
    """People merged (perhaps in a chain) into a survivor being anonymized, or already anonymized,
    who are not anonymized themselves."""
    merged = db.session.execute(
        sa.select(Person.id, Person.merged_into_id, Person.anonymized_at)
        .where(Person.merged_into_id.is_not(None))).all()
    if not merged:
        return []
    into = {row.id: row.merged_into_id for row in merged}
    anonymized = set(db.session.scalars(
        sa.select(Person.id).where(Person.id.in_(set(into.values())), Person.anonymized_at.is_not(None))))
    gone = survivors | anonymized

    def last_survivor(person_id: int) -> int:
        seen = set()
        while person_id in into and person_id not in seen:
            seen.add(person_id)
            person_id = into[person_id]
        return person_id

    return sorted(row.id for row in merged if row.anonymized_at is None and last_survivor(row.id) in gone)


# --- organization contacts ---------------------------------------------------------------------

def _kept_organizations(c: _Cutoff) -> sa.Select:
    partnership_current = sa.or_(Partnership.status.in_(PARTNERSHIP_OPEN),
                                 _on_or_after(c.day, Partnership.agreed_on, Partnership.ended_on))
    kept = sa.union(
        sa.select(Partnership.organization_id).where(sa.or_(partnership_current, Partnership.updated_at >= c.moment)),
        (sa.select(PartnershipPartner.organization_id)
         .join(Partnership, Partnership.id == PartnershipPartner.partnership_id).where(partnership_current)),
        (sa.select(Partnership.organization_id).join(Outcome, Outcome.partnership_id == Partnership.id)
         .where(sa.or_(Outcome.occurred_on >= c.day, Outcome.updated_at >= c.moment))),
        sa.select(Activity.organization_id).where(sa.or_(Activity.occurred_on >= c.day,
                                                         Activity.updated_at >= c.moment)),
        sa.select(OrganizationContact.organization_id).where(OrganizationContact.updated_at >= c.moment),
        sa.select(Organization.id).where(sa.or_(Organization.created_at >= c.moment,
                                                Organization.updated_at >= c.moment)),
    ).subquery()
    return sa.select(kept.c[0])


def _contacts_eligible(c: _Cutoff, personal: dict[str, list[sa.Column]]) -> list[int]:
    table = OrganizationContact.__table__
    return list(db.session.scalars(
        sa.select(table.c.id)
        .where(table.c.organization_id.not_in(_kept_organizations(c)), _not_yet_cleared(table, personal))
        .order_by(table.c.id)))


# --- what gets cleared -------------------------------------------------------------------------

def _by_case(model, person_ids: list[int]) -> sa.Select:
    return (sa.select(model.id).join(MigrationCase, MigrationCase.id == model.case_id)
            .where(MigrationCase.person_id.in_(person_ids)))


def _by_family(model, person_ids: list[int]) -> sa.Select:
    return (sa.select(model.id).join(HostFamily, HostFamily.id == model.host_family_id)
            .where(HostFamily.person_id.in_(person_ids)))


def _by_student(model, person_ids: list[int]) -> sa.Select:
    return (sa.select(model.id).join(Student, Student.id == model.student_id)
            .where(Student.person_id.in_(person_ids)))


# The rows that are a person's own, per table with personal columns: what anonymizing them
# empties. Placements are the student's (their notes and end reasons are about the student).
OWN_ROWS: dict[str, Callable[[list[int]], sa.Select]] = {
    "people": lambda ids: sa.select(Person.id).where(Person.id.in_(ids)),
    "startup_cases": lambda ids: sa.select(StartupCase.id).where(StartupCase.person_id.in_(ids)),
    "startup_consultations": lambda ids: (
        sa.select(Consultation.id).join(StartupCase, StartupCase.id == Consultation.case_id)
        .where(StartupCase.person_id.in_(ids))),
    "migration_cases": lambda ids: sa.select(MigrationCase.id).where(MigrationCase.person_id.in_(ids)),
    "migration_household_members": lambda ids: _by_case(HouseholdMember, ids),
    "migration_supports": lambda ids: _by_case(SupportItem, ids),
    "migration_contacts": lambda ids: _by_case(Contact, ids),
    "migration_followups": lambda ids: _by_case(FollowUp, ids),
    "host_families": lambda ids: sa.select(HostFamily.id).where(HostFamily.person_id.in_(ids)),
    "host_family_steps": lambda ids: _by_family(HostFamilyStep, ids),
    "host_family_unavailable": lambda ids: _by_family(UnavailablePeriod, ids),
    "students": lambda ids: sa.select(Student.id).where(Student.person_id.in_(ids)),
    "student_contacts": lambda ids: _by_student(StudentContact, ids),
    "placements": lambda ids: _by_student(Placement, ids),
}


def personal_columns() -> dict[str, list[sa.Column]]:
    """Per table, the columns the register of personal data lists."""
    tables = db.metadata.tables
    columns: dict[str, list[sa.Column]] = {}
    for item in personal_data_register(db.metadata):
        columns.setdefault(item.table, []).append(tables[item.table].c[item.column])
    return columns


def check_rules_cover_the_schema() -> None:
    """Refuse to run when a table links to people, or holds personal data, without a rule."""
    people_id = Person.__table__.c.id
    links = {(fk.parent.table.name, fk.parent.name) for table in db.metadata.sorted_tables
             for fk in table.foreign_keys if fk.column is people_id}
    unknown_links = sorted(f"{t}.{c}" for t, c in links - PERSON_LINKS)
    unknown_tables = sorted(set(personal_columns()) - set(OWN_ROWS) - NOT_ABOUT_A_PERSON)
    if unknown_links or unknown_tables:
        raise RetentionError(
            "保存期間のルールが決まっていない表があるため、匿名化を実行できません（"
            + "、".join(unknown_links + unknown_tables)
            + "）。casework/admin/retention.py にルールを追加してください。")


def neutral_value(column: sa.Column):
    """What an emptied column holds: NULL where allowed, else the column's default, else the
    placeholder for a required text (a name)."""
    if column.nullable:
        return None
    if column.default is not None and column.default.is_scalar:
        return column.default.arg
    if isinstance(column.type, sa.String):
        return PLACEHOLDER
    raise RetentionError(f"{column.table.name}.{column.name} を消去する値が決められません。")


def _cleared_values(table: sa.Table, columns: list[sa.Column]) -> dict:
    values = {column.name: neutral_value(column) for column in columns}
    if table.name == "people":
        placeholder = sa.literal(PLACEHOLDER + " #") + sa.cast(table.c.id, sa.String)
        values["family_name"] = values["family_name_kana"] = placeholder
    return values


def _not_yet_cleared(table: sa.Table, personal: dict[str, list[sa.Column]]) -> sa.ColumnElement[bool]:
    values = _cleared_values(table, personal[table.name])
    return sa.or_(*(table.c[name].is_distinct_from(value) for name, value in values.items()))


def _clear(table: sa.Table, columns: list[sa.Column], ids: list[int], now: datetime) -> int:
    values = _cleared_values(table, columns)
    changed = sa.or_(*(table.c[name].is_distinct_from(value) for name, value in values.items()))
    if table.name == "people":
        values["anonymized_at"] = now
        changed = table.c.anonymized_at.is_(None)
    if "version" in table.c:
        # An edit form opened before the run now meets a version conflict instead of writing
        # the old values back.
        values["version"] = table.c.version + 1
    count = 0
    for chunk in _chunks(ids):
        count += db.session.execute(sa.update(table).where(table.c.id.in_(chunk), changed).values(values)).rowcount
    return count


# --- the job -----------------------------------------------------------------------------------

@dataclass
class RetentionPlan:
    years: int
    cutoff: date
    people: list[int]  # every person to anonymize, merged ones included
    merged: list[int]  # those of them merged into another
    contacts: list[int]  # organization contacts to clear

    @property
    def empty(self) -> bool:
        return not self.people and not self.contacts

    @property
    def fingerprint(self) -> str:
        """Names exactly who would be anonymized: a confirmation page carries it."""
        text = f"{self.years}|{self.cutoff}|{self.people}|{self.contacts}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class RetentionResult:
    plan: RetentionPlan
    rows: dict[str, int] = field(default_factory=dict)  # rows emptied per table
    audit_entries: int = 0  # audit entries whose personal values were masked


def plan(years: int | None = None, today: date | None = None) -> RetentionPlan:
    """Who would be anonymized now. Reads only."""
    if years is None:
        years = int(current_app.config["RETENTION_YEARS"])
    if years < 1:
        raise RetentionError("保存期間は1年以上で指定してください。")
    check_rules_cover_the_schema()
    cutoff = _Cutoff.of(cutoff_for(years, today))
    survivors = _survivors_eligible(cutoff)
    merged = _merged_followers(set(survivors))
    contacts = _contacts_eligible(cutoff, personal_columns())
    return RetentionPlan(years=years, cutoff=cutoff.day, people=sorted(survivors + merged),
                         merged=merged, contacts=contacts)


def _ids_text(ids: list[int]) -> str:
    return ", ".join(f"#{i}" for i in ids) or "なし"


PERMISSION_DENIED = "42501"  # SQLSTATE insufficient_privilege


def anonymize(retention: RetentionPlan) -> RetentionResult:
    """Carry out the plan. Flushes; the caller commits once (all or nothing), or rolls back
    on RetentionError."""
    check_rules_cover_the_schema()
    forget_abandoned_uploads()
    try:
        return _anonymize(retention)
    except sa.exc.DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != PERMISSION_DENIED:
            raise
        # With deploy/postgres-roles.sql the web app's role may not touch the audit log.
        raise RetentionError(
            "このデータベース接続には監査ログを伏せ字にする権限がないため、何も変更していません。"
            "データベースの所有者ロール（DATABASE_URL）で flask --app wsgi data anonymize を"
            "実行してください。") from exc


def _anonymize(retention: RetentionPlan) -> RetentionResult:
    result = RetentionResult(retention)
    if retention.empty:
        return result
    now = utcnow()
    personal = personal_columns()
    tables = db.metadata.tables
    own_rows: dict[str, set[int]] = {}
    for chunk in _chunks(retention.people):
        for name, rows_of in OWN_ROWS.items():
            ids = list(db.session.scalars(rows_of(chunk)))
            own_rows.setdefault(name, set()).update(ids)
            result.rows[name] = result.rows.get(name, 0) + _clear(tables[name], personal[name], ids, now)
    contacts = OrganizationContact.__table__
    result.rows["organization_contacts"] = _clear(contacts, personal[contacts.name], retention.contacts, now)
    own_rows["organization_contacts"] = set(retention.contacts)
    result.audit_entries = redaction.redact(
        retention.people, own_rows, {table: frozenset(c.name for c in cols) for table, cols in personal.items()})
    _record(result)
    db.session.flush()
    db.session.expire_all()
    return result


def _record(result: RetentionResult) -> None:
    retention = result.plan
    why = f"保存期間（{retention.years}年）の経過により匿名化（{retention.cutoff.isoformat()}より前に終了）"
    record_event("anonymize", entity="retention", detail=(
        f"{why}: 対象者{len(retention.people)}人 {_ids_text(retention.people)}／"
        f"企業・機関の担当者{len(retention.contacts)}人 {_ids_text(retention.contacts)}／"
        f"監査ログ{result.audit_entries}件の個人情報を伏せ字に"))
    for person_id in retention.people:
        record_event("anonymize", entity="people", entity_id=person_id, person_id=person_id, detail=why)
    for contact_id in retention.contacts:
        record_event("anonymize", entity="organization_contacts", entity_id=contact_id, detail=why)
