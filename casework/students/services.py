"""Writes and questions of the students area. THE capacity rule lives here, in
check_placement(): every form, move and import goes through it. Callers commit.

Concurrency: a placement is checked and written while holding a lock on the host family's and
the student's rows (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every transaction begins with
BEGIN IMMEDIATE, see casework.db, so the whole check-then-insert is serialized). Locks are taken
in one order, families (by id) before students (by id), so two writers never wait on each other
in a circle.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework import jp
from casework.extensions import db
from casework.people.models import Person
from casework.students.models import (
    APPLIED,
    CANCELLED,
    ENDED,
    ENROLLED,
    FAMILY_STATUS_LABELS,
    HOME_VISITED,
    INTERVIEWED,
    PLACED,
    REGISTERED,
    SCREENING_STATUSES,
    SUSPENDED,
    HostFamily,
    HostFamilyStep,
    Placement,
    Student,
    UnavailablePeriod,
    family_status_label,
)

# What the host-family list shows of each family and its household head (the list's query joins
# the person): paging.paginate(..., columns=FAMILY_LIST_COLUMNS). free_places reads these rows too.
FAMILY_LIST_COLUMNS = (HostFamily.id, HostFamily.ref, HostFamily.status, HostFamily.capacity,
                       HostFamily.registered_on, HostFamily.renewal_due_on, Person.family_name,
                       Person.full_name, Person.full_kana, Person.address, Person.phone)

EARLIEST = date(1900, 1, 1)
ONE_DAY = timedelta(days=1)

# The screening and registration workflow: which status may follow which.
NEXT_STATUSES = {
    APPLIED: (INTERVIEWED, ENDED, CANCELLED),
    INTERVIEWED: (HOME_VISITED, ENDED, CANCELLED),
    HOME_VISITED: (REGISTERED, ENDED, CANCELLED),
    REGISTERED: (SUSPENDED, ENDED, CANCELLED),
    SUSPENDED: (REGISTERED, ENDED, CANCELLED),
    ENDED: (APPLIED, REGISTERED),
    CANCELLED: (),
}


class Refused(ValueError):
    """A write the rules forbid; `reason` is the Japanese text shown to staff, `column` the
    field (or import column) it concerns."""

    def __init__(self, reason: str, column: str = "started_on"):
        super().__init__(reason)
        self.reason = reason
        self.column = column


def d(day: date | None) -> str:
    return jp.format_date_ja(day) if day else "（終了日未定）"


def period_text(start: date, end: date | None) -> str:
    return f"{d(start)}〜{d(end) if end else '（終了日未定）'}"


# --- locks -----------------------------------------------------------------------------------
def lock_family(family_id: int) -> HostFamily:
    family = db.session.scalar(
        sa.select(HostFamily).where(HostFamily.id == family_id)
        .with_for_update(of=HostFamily.__table__).execution_options(populate_existing=True))
    if family is None:
        raise Refused("受入家庭が見つかりません。", "host_family")
    return family


def lock_student(student_id: int) -> Student:
    student = db.session.scalar(
        sa.select(Student).where(Student.id == student_id)
        .with_for_update(of=Student.__table__).execution_options(populate_existing=True))
    if student is None:
        raise Refused("学生が見つかりません。", "student")
    return student


# --- the capacity rule -----------------------------------------------------------------------
def _overlapping(start: date, end: date | None):
    """Placements sharing at least one night with start..end (end None: open-ended)."""
    conditions = [Placement.status != CANCELLED,
                  sa.or_(Placement.ended_on.is_(None), Placement.ended_on >= start)]
    if end is not None:
        conditions.append(Placement.started_on <= end)
    return conditions


def occupancy_peak(family_id: int, start: date, end: date | None,
                   exclude_id: int | None = None) -> tuple[int, date | None]:
    """The largest number of (not cancelled) placements of the family sharing one night within
    start..end, and the first night it is reached. One query: the count can only rise at the
    start of the period or at a placement's first night, so those nights are the candidates."""
    conditions = [Placement.host_family_id == family_id, *_overlapping(start, end)]
    if exclude_id is not None:
        conditions.append(Placement.id != exclude_id)
    overlapping = sa.select(Placement.started_on, Placement.ended_on).where(*conditions).cte("overlapping")
    nights = sa.union(
        sa.select(sa.literal(start, sa.Date).label("night")),
        sa.select(overlapping.c.started_on.label("night")).where(overlapping.c.started_on > start),
    ).subquery("nights")
    query = (
        sa.select(nights.c.night, sa.func.count().label("n"))
        .select_from(nights.join(overlapping, sa.and_(
            overlapping.c.started_on <= nights.c.night,
            sa.or_(overlapping.c.ended_on.is_(None), overlapping.c.ended_on >= nights.c.night))))
        .group_by(nights.c.night)
        .order_by(sa.desc("n"), nights.c.night)
        .limit(1))
    row = db.session.execute(query).first()
    if row is None:
        return 0, None
    night = row.night
    if isinstance(night, str):  # SQLite may hand back the union's column as text
        night = date.fromisoformat(night)
    return row.n, night


def unavailable_during(family_id: int, start: date, end: date | None) -> UnavailablePeriod | None:
    query = sa.select(UnavailablePeriod).where(
        UnavailablePeriod.host_family_id == family_id, UnavailablePeriod.ends_on >= start)
    if end is not None:
        query = query.where(UnavailablePeriod.starts_on <= end)
    return db.session.scalar(query.order_by(UnavailablePeriod.starts_on).limit(1))


def check_placement(student: Student, family: HostFamily, started_on: date, ended_on: date | None,
                    placement_id: int | None = None) -> None:
    """Raises Refused unless the student may sleep at the family every night of the period:
    the family is registered (登録) and not unavailable, the student has no other placement
    sharing a night, and on no night would the family host more students than its capacity.
    The placement itself (placement_id) is left out of the counts. Call with the rows locked
    (lock_family, then lock_student): place(), change_period() and move() do."""
    if ended_on is not None and ended_on < started_on:
        raise Refused("最終泊日は開始日以降の日付にしてください。", "ended_on")
    if student.status == CANCELLED:
        raise Refused("取消された学生は配置できません。", "student_ref")
    if family.status != REGISTERED:
        raise Refused(f"{family.name}は「{FAMILY_STATUS_LABELS[family.status]}」のため受け入れできません"
                      "（登録中の家庭だけが受け入れられます）。", "host_family_ref")
    if family.registered_on is not None and started_on < family.registered_on:
        raise Refused(f"{family.name}の登録日（{d(family.registered_on)}）より前からは受け入れできません。")
    blocked = unavailable_during(family.id, started_on, ended_on)
    if blocked is not None:
        why = f"（{blocked.reason}）" if blocked.reason else ""
        raise Refused(f"{family.name}は{period_text(blocked.starts_on, blocked.ends_on)}は受け入れできない期間です{why}。")
    query = sa.select(Placement).where(Placement.student_id == student.id, *_overlapping(started_on, ended_on))
    if placement_id is not None:
        query = query.where(Placement.id != placement_id)
    other = db.session.scalar(query.order_by(Placement.started_on).limit(1))
    if other is not None:
        raise Refused(f"{student.person.full_name}さんは{period_text(other.started_on, other.ended_on)}に"
                      f"{other.host_family.name}へ配置済みで、期間が重なります。", "student_ref")
    peak, night = occupancy_peak(family.id, started_on, ended_on, exclude_id=placement_id)
    if peak + 1 > family.capacity:
        raise Refused(f"{family.name}は{d(night)}の夜に定員（{family.capacity}人）に達しているため、"
                      "この期間は受け入れできません。")


def place(student_id: int, family_id: int, started_on: date, ended_on: date | None, *,
          ref: str | None = None, note: str = "") -> Placement:
    """A new placement, checked under the locks."""
    family = lock_family(family_id)
    student = lock_student(student_id)
    check_placement(student, family, started_on, ended_on)
    placement = Placement(student_id=student.id, host_family_id=family.id, started_on=started_on,
                          ended_on=ended_on, status=PLACED, ref=ref or None, note=note)
    db.session.add(placement)
    db.session.flush()
    return placement


def change_period(placement: Placement, started_on: date, ended_on: date | None,
                  end_reason: str | None = None) -> None:
    """New dates for a placement (an early end, an extension). Shortening never breaks a
    rule; anything else is checked like a new placement."""
    if placement.cancelled:
        raise Refused("取消された配置は変更できません。")
    if ended_on is not None and ended_on < started_on:
        raise Refused("最終泊日は開始日以降の日付にしてください。", "ended_on")
    shorter = started_on >= placement.started_on and ended_on is not None and (
        placement.ended_on is None or ended_on <= placement.ended_on)
    if not shorter:
        family = lock_family(placement.host_family_id)
        student = lock_student(placement.student_id)
        check_placement(student, family, started_on, ended_on, placement_id=placement.id)
    placement.started_on, placement.ended_on = started_on, ended_on
    if end_reason is not None:
        placement.end_reason = end_reason
    db.session.flush()


def cancel_placement(placement: Placement, reason: str = "") -> None:
    placement.status = CANCELLED
    if reason:
        placement.note = (placement.note + "\n" if placement.note else "") + f"取消: {reason}"
    db.session.flush()


def move(placement: Placement, family_id: int, first_night: date, ended_on: date | None = None,
         *, keep_planned_end: bool = True, reason: str = "") -> Placement:
    """The student moves to another family: the current placement ends the night before
    first_night and a new one starts on first_night, in the caller's one transaction. The new
    placement keeps the planned end unless ended_on is given."""
    if placement.cancelled:
        raise Refused("取消された配置からは移動できません。")
    if family_id == placement.host_family_id:
        raise Refused("同じ家庭への移動はできません。", "host_family")
    if first_night <= placement.started_on:
        raise Refused(f"移動日は今の受入開始日（{d(placement.started_on)}）より後の日付にしてください。")
    if placement.ended_on is not None and first_night > placement.ended_on + ONE_DAY:
        raise Refused(f"この配置は{d(placement.ended_on)}に終わっています。新しい配置として登録してください。")
    family = lock_family(family_id)
    student = lock_student(placement.student_id)
    planned_end = placement.ended_on
    new_end = ended_on if ended_on is not None or not keep_planned_end else planned_end
    placement.ended_on = first_night - ONE_DAY
    placement.end_reason = f"{family.name}へ移動" + (f"（{reason}）" if reason else "")
    db.session.flush()
    check_placement(student, family, first_night, new_end)
    new = Placement(student_id=student.id, host_family_id=family.id, started_on=first_night,
                    ended_on=new_end, status=PLACED, note=reason)
    db.session.add(new)
    db.session.flush()
    return new


# --- host families ---------------------------------------------------------------------------
def set_capacity(family: HostFamily, capacity: int) -> None:
    """A smaller capacity is refused while any night (past or planned) has more students."""
    if capacity < 1:
        raise Refused("定員は1人以上にしてください。", "capacity")
    if capacity < family.capacity:
        lock_family(family.id)
        peak, night = occupancy_peak(family.id, EARLIEST, None)
        if peak > capacity:
            raise Refused(f"{d(night)}の夜に{peak}人が滞在する（予定の）ため、定員を{capacity}人にはできません。",
                          "capacity")
    family.capacity = capacity


def placements_from(family_id: int, day: date) -> list[Placement]:
    """Placements of the family with a night on or after day."""
    return list(db.session.scalars(
        sa.select(Placement).where(Placement.host_family_id == family_id, *_overlapping(day, None))
        .order_by(Placement.started_on)))


def set_status(family: HostFamily, status: str, on: date, *, user=None, staff_name: str = "",
               note: str = "", follow_workflow: bool = True) -> HostFamilyStep:
    """A step of the workflow, recorded with its date and who did it. Leaving 登録 is refused
    while students are placed with the family on or after that date (move or end them first)."""
    if status not in FAMILY_STATUS_LABELS:
        raise Refused("状態が正しくありません。", "status")
    if follow_workflow and status not in NEXT_STATUSES.get(family.status, ()):
        allowed = "、".join(str(FAMILY_STATUS_LABELS[s]) for s in NEXT_STATUSES.get(family.status, ()))
        raise Refused(f"「{FAMILY_STATUS_LABELS[family.status]}」の次は「{allowed or 'なし'}」にしか進めません。",
                      "status")
    if family.status == REGISTERED and status != REGISTERED and family.id is not None:
        lock_family(family.id)
        day = EARLIEST if status == CANCELLED else on
        staying = placements_from(family.id, day)
        if staying:
            names = "、".join(f"{p.student.person.full_name}（{period_text(p.started_on, p.ended_on)}）"
                             for p in staying[:5])
            raise Refused(f"{d(on)}以降も配置されている学生がいるため「{FAMILY_STATUS_LABELS[status]}」にできません: "
                          f"{names}。先に移動か終了の手続きをしてください。", "status")
    if status == REGISTERED and family.registered_on is None:
        family.registered_on = on
    family.status = status
    step = HostFamilyStep(host_family=family, status=status, done_on=on,
                          staff_user_id=getattr(user, "id", None),
                          staff_name=staff_name or getattr(user, "display_name", "") or "", note=note)
    db.session.add(step)
    db.session.flush()
    return step


def add_unavailable(family: HostFamily, starts_on: date, ends_on: date, reason: str) -> tuple[UnavailablePeriod, list[Placement]]:
    """Records nights the family cannot host. Students placed on those nights are returned:
    they now need another bed (the 'without a placement' list shows them)."""
    if ends_on < starts_on:
        raise Refused("終了日は開始日以降の日付にしてください。", "ends_on")
    period = UnavailablePeriod(host_family_id=family.id, starts_on=starts_on, ends_on=ends_on, reason=reason)
    db.session.add(period)
    db.session.flush()
    affected = list(db.session.scalars(
        sa.select(Placement).where(Placement.host_family_id == family.id, *_overlapping(starts_on, ends_on))
        .order_by(Placement.started_on)))
    return period, affected


# --- the coordinator's questions -------------------------------------------------------------
@dataclass
class FreePlaces:
    family: HostFamily  # or a row of the family list (FAMILY_LIST_COLUMNS)
    occupied: int
    free: int
    blocked: str = ""  # why the family cannot take anyone (unavailable, ...)


def _peaks_statement() -> sa.Select:
    """occupancy_peaks' query, with the families, start and end as parameters (ids, start, end)."""
    start, end = sa.bindparam("start", type_=sa.Date), sa.bindparam("end", type_=sa.Date)
    overlapping = (sa.select(Placement.host_family_id.label("family_id"), Placement.started_on, Placement.ended_on)
                   .where(Placement.host_family_id.in_(sa.bindparam("ids", expanding=True)),
                          *_overlapping(start, end)).cte("overlapping"))
    nights = sa.union(
        sa.select(overlapping.c.family_id, start.label("night")),
        sa.select(overlapping.c.family_id, overlapping.c.started_on.label("night"))
        .where(overlapping.c.started_on > start),
    ).subquery("nights")
    per_night = (
        sa.select(nights.c.family_id, sa.func.count().label("n"))
        .select_from(nights.join(overlapping, sa.and_(
            overlapping.c.family_id == nights.c.family_id,
            overlapping.c.started_on <= nights.c.night,
            sa.or_(overlapping.c.ended_on.is_(None), overlapping.c.ended_on >= nights.c.night))))
        .group_by(nights.c.family_id, nights.c.night)
    ).subquery("per_night")
    return sa.select(per_night.c.family_id, sa.func.max(per_night.c.n)).group_by(per_night.c.family_id)


# Built once: building this statement and its cache key on every call cost about 0.8 ms of the
# host-family list's page, the query itself 0.15 ms.
_PEAKS = _peaks_statement()
_UNAVAILABLE = (sa.select(UnavailablePeriod)
                .where(UnavailablePeriod.host_family_id.in_(sa.bindparam("ids", expanding=True)),
                       UnavailablePeriod.ends_on >= sa.bindparam("start", type_=sa.Date),
                       UnavailablePeriod.starts_on <= sa.bindparam("end", type_=sa.Date))
                .order_by(UnavailablePeriod.starts_on, UnavailablePeriod.id))


def occupancy_peaks(family_ids: list[int], start: date, end: date) -> dict[int, int]:
    """occupancy_peak (the number only) of many families at once, in one query: for a list."""
    if not family_ids:
        return {}
    rows = db.session.execute(_PEAKS, {"ids": family_ids, "start": start, "end": end})
    return {int(family_id): int(n) for family_id, n in rows}


def free_places(start: date, end: date | None = None, families: list | None = None) -> list[FreePlaces]:
    """Free beds of every registered family for every night of start..end (end None: that
    night only). A fixed number of queries however many families (lists show 50 at a time).
    `families`: HostFamily records, or rows with their id, status, capacity and registered_on
    (the family list's FAMILY_LIST_COLUMNS)."""
    end = start if end is None else end
    if families is None:
        families = list(db.session.scalars(
            sa.select(HostFamily).where(HostFamily.status == REGISTERED)
            .join(HostFamily.person).order_by(Person.kana_key, HostFamily.id)))
    ids = [family.id for family in families]
    peaks = occupancy_peaks(ids, start, end)
    unavailable: dict[int, UnavailablePeriod] = {}
    if ids:
        for period in db.session.scalars(_UNAVAILABLE, {"ids": ids, "start": start, "end": end}):
            unavailable.setdefault(period.host_family_id, period)
    result = []
    for family in families:
        peak = peaks.get(family.id, 0)
        blocked = ""
        if family.status != REGISTERED:
            blocked = f"「{family_status_label(family.status)}」"
        elif (period := unavailable.get(family.id)) is not None:
            blocked = f"受入不可 {period_text(period.starts_on, period.ends_on)} {period.reason}".strip()
        elif family.registered_on and family.registered_on > start:
            blocked = f"登録日 {d(family.registered_on)}"
        free = 0 if blocked else max(family.capacity - peak, 0)
        result.append(FreePlaces(family, peak, free, blocked))
    return result


@dataclass
class Gap:
    student: Student
    reason: str
    placement: Placement | None = None


def students_without_bed(day: date) -> list[Gap]:
    """Enrolled students who have no usable bed the night of `day`: no placement covers it, or
    their family is unavailable that night or no longer registered."""
    covering = {p.student_id: p for p in db.session.scalars(
        sa.select(Placement).where(Placement.status != CANCELLED, Placement.started_on <= day,
                                   sa.or_(Placement.ended_on.is_(None), Placement.ended_on >= day)))}
    blocked = {u.host_family_id: u for u in db.session.scalars(
        sa.select(UnavailablePeriod).where(UnavailablePeriod.starts_on <= day, UnavailablePeriod.ends_on >= day))}
    students = db.session.scalars(
        sa.select(Student).join(Student.person).where(
            Student.status == ENROLLED,
            sa.or_(Student.expected_graduation_on.is_(None), Student.expected_graduation_on >= day))
        .order_by(Person.kana_key, Student.id))
    gaps = []
    for student in students:
        placement = covering.get(student.id)
        if placement is None:
            gaps.append(Gap(student, "配置なし"))
        elif placement.host_family_id in blocked:
            period = blocked[placement.host_family_id]
            gaps.append(Gap(student, f"{placement.host_family.name}が受入不可（{period_text(period.starts_on, period.ends_on)}"
                                     f"{' ' + period.reason if period.reason else ''}）", placement))
        elif placement.host_family.status != REGISTERED:
            gaps.append(Gap(student, f"{placement.host_family.name}が「{placement.host_family.status_label}」", placement))
    return gaps


def upcoming_conflicts(today: date, days: int = 90) -> list[tuple[UnavailablePeriod, Placement]]:
    """Placements that share nights with a family's unavailable period ending on or after today:
    those students need another bed for those nights."""
    rows = db.session.execute(
        sa.select(UnavailablePeriod, Placement)
        .join(Placement, sa.and_(Placement.host_family_id == UnavailablePeriod.host_family_id,
                                 Placement.status != CANCELLED,
                                 Placement.started_on <= UnavailablePeriod.ends_on,
                                 sa.or_(Placement.ended_on.is_(None), Placement.ended_on >= UnavailablePeriod.starts_on)))
        .where(UnavailablePeriod.ends_on >= today, UnavailablePeriod.starts_on <= today + timedelta(days=days))
        .order_by(UnavailablePeriod.starts_on))
    return [(u, p) for u, p in rows]


def renewals_due(today: date, days: int = 60) -> list[HostFamily]:
    return list(db.session.scalars(
        sa.select(HostFamily).where(HostFamily.status.in_((REGISTERED, SUSPENDED)),
                                    HostFamily.renewal_due_on.is_not(None),
                                    HostFamily.renewal_due_on <= today + timedelta(days=days))
        .order_by(HostFamily.renewal_due_on)))


def screenings_open() -> list[tuple[HostFamily, date | None]]:
    """Families in screening (申込・面談・家庭訪問) with the date of their last step, oldest first."""
    last_step = (sa.select(HostFamilyStep.host_family_id, sa.func.max(HostFamilyStep.done_on).label("last_on"))
                 .group_by(HostFamilyStep.host_family_id).subquery())
    rows = db.session.execute(
        sa.select(HostFamily, last_step.c.last_on)
        .outerjoin(last_step, last_step.c.host_family_id == HostFamily.id)
        .where(HostFamily.status.in_(SCREENING_STATUSES))
        .order_by(last_step.c.last_on.nulls_first(), HostFamily.id))
    return [(family, last_on) for family, last_on in rows]


@dataclass
class Match:
    family: HostFamily
    free: int
    reasons: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return not self.reasons and self.free > 0


def match_families(student: Student, start: date, end: date | None, *, sensitive: bool = True) -> list[Match]:
    """Registered families, those that fit the student's needs with a free bed for every night
    of start..end first; the others with the reasons they do not fit. Without `sensitive` the
    reasons do not name the student's allergens."""
    families = list(db.session.scalars(sa.select(HostFamily).where(HostFamily.status == REGISTERED)))
    matches = []
    for family in families:
        reasons = []
        if student.gender == "male" and not family.accepts_boys:
            reasons.append("男子の受入なし")
        if student.gender == "female" and not family.accepts_girls:
            reasons.append("女子の受入なし")
        missing = student.allergen_set - family.allergens_handled
        if missing:
            reasons.append("アレルギー未対応" + (": " + "、".join(sorted(missing)) if sensitive else ""))
        if student.needs_no_pets and family.has_pets:
            reasons.append("ペットあり")
        if student.needs_no_smoking and family.smoking:
            reasons.append("喫煙者あり")
        if family.registered_on and family.registered_on > start:
            reasons.append(f"登録日 {d(family.registered_on)}")
        period = unavailable_during(family.id, start, end)
        if period is not None:
            reasons.append(f"受入不可 {period_text(period.starts_on, period.ends_on)}")
        peak, night = occupancy_peak(family.id, start, end)
        free = max(family.capacity - peak, 0)
        if free == 0 and not period:
            reasons.append(f"満室（{d(night)}）")
        matches.append(Match(family, free, reasons))
    matches.sort(key=lambda m: (not m.fits, len(m.reasons), -m.free, m.family.person.kana_key))
    return matches


# --- calendar --------------------------------------------------------------------------------
@dataclass
class CalendarRow:
    family: HostFamily
    placements: list[tuple[Placement, list[bool]]]
    free: list[int | None]  # None: the family cannot host that night
    unavailable: list[str]


def bed_calendar(first: date, last: date, families: list[HostFamily]) -> list[CalendarRow]:
    """Who sleeps where each night first..last, for the given families. Two queries."""
    ids = [f.id for f in families]
    placements = list(db.session.scalars(
        sa.select(Placement).where(Placement.host_family_id.in_(ids), *_overlapping(first, last))
        .options(so.joinedload(Placement.student)).order_by(Placement.started_on, Placement.id)))
    periods = list(db.session.scalars(
        sa.select(UnavailablePeriod).where(UnavailablePeriod.host_family_id.in_(ids),
                                           UnavailablePeriod.starts_on <= last, UnavailablePeriod.ends_on >= first)))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    rows = []
    for family in families:
        mine = [p for p in placements if p.host_family_id == family.id]
        blocks = [u for u in periods if u.host_family_id == family.id]
        nights = [(p, [p.covers(day) for day in days]) for p in mine]
        free, unavailable = [], []
        for i, day in enumerate(days):
            block = next((u for u in blocks if u.starts_on <= day <= u.ends_on), None)
            unavailable.append(block.reason or "受入不可" if block else "")
            taken = sum(1 for _p, marks in nights if marks[i])
            registered = family.status == REGISTERED and (family.registered_on is None or family.registered_on <= day)
            free.append(None if block or not registered else family.capacity - taken)
        rows.append(CalendarRow(family, nights, free, unavailable))
    return rows
