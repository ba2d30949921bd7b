"""Writes and questions of the students area. THE capacity rule lives here, in
check_placement(): every form, move and import goes through it. Callers commit.

Concurrency: a placement is checked and written while holding a lock on the host family's and
the student's rows (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every transaction begins with
BEGIN IMMEDIATE, see casework.db, so the whole check-then-insert is serialized). Locks are taken
in one order, families (by id) before students (by id), so two writers never wait on each other
in a circle.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework import jp
from casework.extensions import db
from casework.people import services as people
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
def _overlapping(start: date, end: date | None, placement=Placement):
    """Placements sharing at least one night with start..end (end None: open-ended).
    `placement`: Placement or an alias of it."""
    conditions = [placement.status != CANCELLED,
                  sa.or_(placement.ended_on.is_(None), placement.ended_on >= start)]
    if end is not None:
        conditions.append(placement.started_on <= end)
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


def free_places(start: date, end: date | None = None, *, families: list) -> list[FreePlaces]:
    """Free beds of these families for every night of start..end (end None: that night only).
    A fixed number of queries however many families; callers pass a page of them (every
    registered family at once was 52,000 at 1,000,000 cases: free_summary counts those).
    `families`: HostFamily records, or rows with their id, status, capacity and registered_on
    (the family list's FAMILY_LIST_COLUMNS)."""
    end = start if end is None else end
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


# The lists below never load every family, student or placement: at 1,000,000 cases (52,250
# registered families, 160,000 students, 200,000 placements) the overview did, and took 45 s,
# the list of students without a bed 18-32 s and the free beds 8-20 s. They count in SQL and
# read one page (50) of families or students in furigana order (people.in_kana_order).
def _registered_by(day) -> sa.ColumnElement[bool]:
    return sa.or_(HostFamily.registered_on.is_(None), HostFamily.registered_on <= day)


def _unavailable(family_id, start, end) -> sa.Exists:
    """The family (a column) cannot host on some night of start..end."""
    return sa.exists().where(UnavailablePeriod.host_family_id == family_id,
                             UnavailablePeriod.ends_on >= start, UnavailablePeriod.starts_on <= end)


def _unavailable_ids(start, end) -> sa.Select:
    """The families unavailable on some night of start..end. For NOT IN: read once per query,
    where the per-family NOT EXISTS probe would run once for each of 52,250 families."""
    return sa.select(UnavailablePeriod.host_family_id).where(UnavailablePeriod.ends_on >= start,
                                                             UnavailablePeriod.starts_on <= end)


def _peak_of(family_id, start, end) -> sa.ScalarSelect:
    """occupancy_peak (the number) of the family (a column) over start..end, as a correlated
    subquery: for each placement sharing a night with the period, the placements sleeping there
    its first night in the period; the most of them. NULL when none shares a night."""
    first, other = so.aliased(Placement), so.aliased(Placement)
    night = sa.case((first.started_on > start, first.started_on), else_=start)
    that_night = (sa.select(sa.func.count()).select_from(other)
                  .where(other.host_family_id == first.host_family_id, other.status != CANCELLED,
                         other.started_on <= night, sa.or_(other.ended_on.is_(None), other.ended_on >= night))
                  .scalar_subquery())
    return (sa.select(sa.func.max(that_night)).select_from(first)
            .where(first.host_family_id == family_id, *_overlapping(start, end, first)).scalar_subquery())


@dataclass(frozen=True)
class FreeSummary:
    """free_places(start, end) of every registered family, in sums."""
    families: int  # registered families
    by_free: dict[int, int]  # number of free beds -> families with that many (0: full or cannot host)

    @property
    def total(self) -> int:
        return sum(free * n for free, n in self.by_free.items())


def _registered_by_capacity(start, end) -> sa.Select:
    """(capacity, registered families, those of them able to host every night) per capacity."""
    able = sa.and_(_registered_by(start), HostFamily.id.not_in(_unavailable_ids(start, end)))
    return (sa.select(HostFamily.capacity, sa.func.count(), sa.func.sum(sa.case((able, 1), else_=0)))
            .where(HostFamily.status == REGISTERED).group_by(HostFamily.capacity))


def _occupied_by_capacity(start, end, one_night: bool) -> sa.Select:
    """(capacity, placements, family, families) of the families able to host with placements
    sharing a night with start..end. When those placements are all there on one night, their
    number is the family's peak and `family` is NULL (the families are counted together): for
    one night they always are; for a period when the latest first night is on or before the
    earliest last night (an open end is never the earliest). Otherwise `family` is the
    family's id, for occupancy_peaks: a few hundred families at most."""
    # Read first, then grouped: grouping placements as they are read, SQLite walked the whole
    # family index in family order instead of the end of ix_placements_last_night (60-100 ms).
    # PostgreSQL plans better with the placements in view (a hash join, not 16,000 probes).
    nights = () if one_night else (Placement.started_on, Placement.ended_on)
    running = (sa.select(Placement.host_family_id.label("family_id"), *nights)
               .where(*_overlapping(start, end)).cte("running").prefix_with("MATERIALIZED", dialect="sqlite"))
    if one_night:
        family = sa.null()
    else:
        latest_start, earliest_end = sa.func.max(running.c.started_on), sa.func.min(running.c.ended_on)
        family = sa.case((sa.or_(earliest_end.is_(None), latest_start <= earliest_end), sa.null()),
                         else_=running.c.family_id)
    peaks = (sa.select(running.c.family_id, sa.func.count().label("placements"), family.label("family"))
             .group_by(running.c.family_id).subquery("peaks"))
    return (sa.select(HostFamily.capacity, peaks.c.placements, peaks.c.family, sa.func.count())
            .join(peaks, peaks.c.family_id == HostFamily.id)
            .where(HostFamily.status == REGISTERED, _registered_by(start),
                   HostFamily.id.not_in(_unavailable_ids(start, end)))
            .group_by(HostFamily.capacity, peaks.c.placements, peaks.c.family))


def _full_or_unable(start, end) -> list[sa.ColumnElement[bool]]:
    """Conditions on HostFamily: registered, with no free bed some night of start..end as
    free_places counts them (full, or cannot host)."""
    able = sa.and_(_registered_by(start), ~_unavailable(HostFamily.id, start, end))
    return [HostFamily.status == REGISTERED,
            sa.or_(~able, sa.func.coalesce(_peak_of(HostFamily.id, start, end), 0) >= HostFamily.capacity)]


def _with_free_beds(free, start, end) -> list[sa.ColumnElement[bool]]:
    """Conditions on HostFamily: registered, with exactly `free` (1 or more) free beds every
    night of start..end as free_places counts them. A family without placements then has its
    capacity free; only the others need their peak."""
    unoccupied = ~sa.exists().where(Placement.host_family_id == HostFamily.id, *_overlapping(start, end))
    peak = sa.func.coalesce(_peak_of(HostFamily.id, start, end), 0)
    return [HostFamily.status == REGISTERED, HostFamily.capacity >= free, _registered_by(start),
            ~_unavailable(HostFamily.id, start, end),
            sa.or_(sa.and_(HostFamily.capacity == free, unoccupied),
                   sa.and_(HostFamily.capacity > free, HostFamily.capacity - peak == free))]


def _in_kana_order(conditions: list) -> sa.Select:
    """people.in_kana_order(HostFamily, conditions, window), cut to rows skip..skip + take (all
    three parameters), asking each person how many such families they head. As an EXISTS,
    PostgreSQL joined every family meeting the conditions and sorted them (11,600 with three free
    beds tonight: 110 ms); a count it asks of each person in furigana order until the window is
    full, as SQLite does either way."""
    heads = sa.select(sa.func.count()).where(HostFamily.person_id == Person.id, *conditions).scalar_subquery()
    first_people = (sa.select(Person.id).where(Person.merged_into_id.is_(None), heads > 0)
                    .order_by(*people.SEARCH_ORDER).limit(sa.bindparam("window", type_=sa.Integer)))
    return (sa.select(HostFamily).join(Person, Person.id == HostFamily.person_id)
            .where(HostFamily.person_id.in_(first_people), *conditions)
            .order_by(*people.SEARCH_ORDER, HostFamily.id)
            .offset(sa.bindparam("skip", type_=sa.Integer)).limit(sa.bindparam("take", type_=sa.Integer)))


# Built once, with the period as parameters (start, end): building them for each page cost about
# 5 ms of it (as _PEAKS).
_START, _END = sa.bindparam("start", type_=sa.Date), sa.bindparam("end", type_=sa.Date)
_REGISTERED_BY_CAPACITY = _registered_by_capacity(_START, _END)
_OCCUPIED_BY_CAPACITY = {one_night: _occupied_by_capacity(_START, _END, one_night) for one_night in (True, False)}
_FULL_OR_UNABLE = _in_kana_order(_full_or_unable(_START, _END))
_WITH_FREE_BEDS = _in_kana_order(_with_free_beds(sa.bindparam("free", type_=sa.Integer), _START, _END))


def free_summary(start: date, end: date | None = None) -> FreeSummary:
    """How many registered families have each number of free beds for every night of start..end
    (end None: that night only), as free_places counts them, and the free beds in all. Two
    aggregate queries: one reads an index of the families, the other only the placements
    sharing a night with the period (about 20,000 of 200,000 at 1,000,000 cases)."""
    end = start if end is None else end
    period = {"start": start, "end": end}
    registered, able = Counter(), Counter()
    for capacity, families, families_able in db.session.execute(_REGISTERED_BY_CAPACITY, period):
        registered[capacity], able[capacity] = families, families_able
    by_free = Counter({0: registered.total() - able.total()})
    unoccupied = Counter(able)
    mixed = {}  # family id -> capacity, for the families whose peak needs counting night by night
    for capacity, placements, family, families in db.session.execute(_OCCUPIED_BY_CAPACITY[start == end], period):
        unoccupied[capacity] -= families
        if family is None:
            by_free[max(capacity - placements, 0)] += families
        else:
            mixed[family] = capacity
    for family, peak in occupancy_peaks(list(mixed), start, end).items():
        by_free[max(mixed[family] - peak, 0)] += 1
    by_free.update(unoccupied)  # no placement: every bed is free
    return FreeSummary(registered.total(), {free: n for free, n in by_free.items() if n})


def families_by_free_beds(summary: FreeSummary, start: date, end: date | None, offset: int,
                          limit: int) -> list[HostFamily]:
    """Registered families offset..offset + limit in the order most free beds first, then
    furigana (summary: free_summary of the period). The summary tells how many have each number;
    each number's families are walked in furigana order, so only the page's are read."""
    end = start if end is None else end
    families, position = [], 0
    for free in sorted(summary.by_free, reverse=True):
        size = summary.by_free[free]
        first, last = max(offset - position, 0), min(offset + limit - position, size)
        if first < last:
            statement = _WITH_FREE_BEDS if free else _FULL_OR_UNABLE
            families += db.session.scalars(statement, {"start": start, "end": end, "free": free, "window": last,
                                                        "skip": first, "take": last - first}).unique()
        position += size
    return families


@dataclass
class Gap:
    student: Student
    reason: str
    placement: Placement | None = None


def without_bed(day: date) -> list[sa.ColumnElement[bool]]:
    """Conditions on Student: enrolled (not graduated before `day`) with no usable bed the night
    of `day`: no placement covers it at a family registered and not unavailable that night."""
    bed = (sa.select(Placement.id).join(HostFamily, HostFamily.id == Placement.host_family_id)
           .where(Placement.student_id == Student.id, *_overlapping(day, day), HostFamily.status == REGISTERED,
                  ~_unavailable(HostFamily.id, day, day)))
    return [Student.status == ENROLLED,
            sa.or_(Student.expected_graduation_on.is_(None), Student.expected_graduation_on >= day),
            ~bed.exists()]


def anyone_without_bed(day: date) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(*without_bed(day)))))


def gaps(students: list[Student], day: date) -> list[Gap]:
    """Why each of these students (without_bed) has no bed the night of `day`. Two queries."""
    covering = {p.student_id: p for p in db.session.scalars(
        sa.select(Placement).where(Placement.student_id.in_([s.id for s in students]), *_overlapping(day, day))
        .order_by(Placement.started_on, Placement.id))}
    blocked = {u.host_family_id: u for u in db.session.scalars(
        sa.select(UnavailablePeriod).where(
            UnavailablePeriod.host_family_id.in_({p.host_family_id for p in covering.values()}),
            UnavailablePeriod.starts_on <= day, UnavailablePeriod.ends_on >= day)
        .order_by(UnavailablePeriod.starts_on, UnavailablePeriod.id))}
    return [_gap(student, covering.get(student.id), blocked) for student in students]


def _gap(student: Student, placement: Placement | None, blocked: dict[int, UnavailablePeriod]) -> Gap:
    if placement is None:
        return Gap(student, "配置なし")
    family = placement.host_family
    if (period := blocked.get(family.id)) is not None:
        return Gap(student, f"{family.name}が受入不可（{period_text(period.starts_on, period.ends_on)}"
                            f"{' ' + period.reason if period.reason else ''}）", placement)
    return Gap(student, f"{family.name}が「{family.status_label}」", placement)


def upcoming_conflicts(today: date, days: int = 90) -> list[tuple[UnavailablePeriod, Placement]]:
    """Placements that share nights with a family's unavailable period ending on or after today:
    those students need another bed for those nights. The periods first, then their families'
    placements: as one join, SQLite read every placement to probe for periods (0.8-1.2 s at
    1,000,000 cases, with no period at all)."""
    periods = list(db.session.scalars(
        sa.select(UnavailablePeriod)
        .where(UnavailablePeriod.ends_on >= today, UnavailablePeriod.starts_on <= today + timedelta(days=days))
        .order_by(UnavailablePeriod.starts_on, UnavailablePeriod.id)))
    if not periods:
        return []
    placements = list(db.session.scalars(
        sa.select(Placement).where(Placement.host_family_id.in_({u.host_family_id for u in periods}),
                                   *_overlapping(min(u.starts_on for u in periods), max(u.ends_on for u in periods)))
        .order_by(Placement.started_on, Placement.id)))
    return [(u, p) for u in periods for p in placements
            if p.host_family_id == u.host_family_id and p.started_on <= u.ends_on
            and (p.ended_on is None or p.ended_on >= u.starts_on)]


def renewals_due(today: date, days: int = 60) -> list[HostFamily]:
    return list(db.session.scalars(
        sa.select(HostFamily).where(HostFamily.status.in_((REGISTERED, SUSPENDED)),
                                    HostFamily.renewal_due_on.is_not(None),
                                    HostFamily.renewal_due_on <= today + timedelta(days=days))
        .order_by(HostFamily.renewal_due_on)))


def screenings_open() -> list[tuple[HostFamily, date | None]]:
    """Families in screening (申込・面談・家庭訪問) with the date of their last step, oldest first.
    Each family's last step is looked up through its index: grouping every family's steps to
    find it read the whole table, which grows with every family ever recruited."""
    last_on = (sa.select(sa.func.max(HostFamilyStep.done_on))
               .where(HostFamilyStep.host_family_id == HostFamily.id).scalar_subquery().label("last_on"))
    rows = db.session.execute(
        sa.select(HostFamily, last_on).where(HostFamily.status.in_(SCREENING_STATUSES))
        .order_by(last_on.nulls_first(), HostFamily.id))
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


ON_THE_CALENDAR = (REGISTERED, SUSPENDED)  # and the families hosting someone in the month


def _hosting(first: date, last: date) -> sa.Exists:
    return sa.exists().where(Placement.host_family_id == HostFamily.id, *_overlapping(first, last))


def on_the_calendar(first: date, last: date) -> sa.ColumnElement[bool]:
    """Condition on HostFamily: a row of the bed calendar of first..last (registered or
    suspended, or hosting someone then). Asked of each family as the furigana index is walked:
    as `id IN (every family hosting then)` it made both databases sort every family (0.5 s)."""
    return sa.or_(HostFamily.status.in_(ON_THE_CALENDAR), _hosting(first, last))


def calendar_family_ids(first: date, last: date) -> sa.CompoundSelect:
    """The ids of on_the_calendar's families, the registered and suspended ones first. For a
    count that stops at paging.COUNT_LIMIT: it stops among those, where with the OR PostgreSQL
    first read every placement of the month (20 ms; SQLite 4 ms; now under 1 ms)."""
    return sa.union_all(sa.select(HostFamily.id).where(HostFamily.status.in_(ON_THE_CALENDAR)),
                        sa.select(HostFamily.id).where(HostFamily.status.not_in(ON_THE_CALENDAR), _hosting(first, last)))


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
