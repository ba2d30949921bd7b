"""Writes on migration cases that touch several records, and the rules behind them
(follow-up schedule, repayment, who may see which case). Callers commit."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app

from casework import jp
from casework.extensions import db
from casework.migrants.models import (
    STATUS_LABELS,
    TRANSITIONS,
    FollowUp,
    HouseholdMember,
    MigrationCase,
    SupportItem,
)
from casework.people.models import Person


class CaseError(ValueError):
    """A Japanese message for the user."""


def add_years(d: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


# --- who sees what ---------------------------------------------------------------------------

def visible(user) -> list[sa.ColumnElement[bool]]:
    """Counter and manager: every case. Coordinator: only the cases of a placed student's
    family. Anyone else: none. (Conditions on MigrationCase.)"""
    if user.can("migrants.read"):
        return []
    if user.can("migrants.student_families"):
        return [MigrationCase.student_person_id.is_not(None)]
    return [sa.false()]


def visible_cases(user, query: sa.Select) -> sa.Select:
    return query.where(*visible(user))


def can_open(user, case: MigrationCase) -> bool:
    if user.can("migrants.read"):
        return True
    return user.can("migrants.student_families") and case.student_person_id is not None


# --- household -------------------------------------------------------------------------------

def add_member(case: MigrationCase, *, family_name: str, given_name: str, relationship: str,
               birth_date: date | None) -> HouseholdMember:
    """Members are the detail of the counted household: the count never falls below the
    applicant plus the recorded members, so a member beyond the count raises it."""
    member = HouseholdMember(family_name=family_name.strip(), given_name=given_name.strip(),
                             relationship=relationship.strip(), birth_date=birth_date)
    case.members.append(member)
    if case.household_size < 1 + len(case.members):
        case.household_size = 1 + len(case.members)
    db.session.flush()
    return member


def remove_member(case: MigrationCase, member: HouseholdMember) -> None:
    """The person is no longer part of the household: the count goes down by one."""
    case.members.remove(member)
    case.household_size = max(1 + len(case.members), case.household_size - 1)
    db.session.flush()


def smallest_household(case: MigrationCase) -> int:
    return 1 + len(case.members)


# --- status ----------------------------------------------------------------------------------

def allowed_statuses(case: MigrationCase) -> list[str]:
    return list(TRANSITIONS.get(case.status, ()))


def change_status(case: MigrationCase, new: str) -> None:
    if new == case.status:
        return
    if new not in STATUS_LABELS:
        raise CaseError("その状態はありません。")
    if new not in TRANSITIONS.get(case.status, ()):
        raise CaseError(f"「{STATUS_LABELS[case.status]}」から「{STATUS_LABELS[new]}」には変更できません。")
    if new in ("moved_in", "settled") and case.moved_in_on is None:
        raise CaseError("転入日を入力してから「転入済」にしてください。")
    if new == "moved_out" and case.moved_out_on is None:
        raise CaseError("転出日を入力してから「転出」にしてください（定住確認で「転出」を記録しても入ります）。")
    case.status = new


# --- support ---------------------------------------------------------------------------------

def add_support(case: MigrationCase, item: SupportItem, student: Person | None = None) -> None:
    if item.kind == "student_family":
        if student is None:
            raise CaseError("越境学生の家族の転入には、生徒（対象者）を指定してください。")
        case.student_person_id = student.id
    case.supports.append(item)
    if case.status in ("consulting", "considering"):
        case.status = "supporting"
    db.session.flush()
    schedule_followups(case)


def remove_support(case: MigrationCase, item: SupportItem) -> None:
    case.supports.remove(item)
    if item.kind == "student_family" and not any(s.kind == "student_family" for s in case.supports):
        case.student_person_id = None
    db.session.flush()
    schedule_followups(case)


# --- settlement follow-up --------------------------------------------------------------------

def needs_followup(case: MigrationCase) -> bool:
    duty = set(current_app.config["MIGRANT_DUTY_SUPPORT_KINDS"])
    return case.followup_requested or any(s.kind in duty for s in case.supports)


def schedule_followups(case: MigrationCase) -> None:
    """Bring the open checks in line with the case: one per year of MIGRANT_FOLLOWUP_YEARS
    after the move-in while the household is here and the case needs them. Recorded checks
    are history and stay as they are."""
    wanted: dict[int, date] = {}
    if (case.moved_in_on is not None and case.moved_out_on is None and case.status != "cancelled"
            and needs_followup(case)):
        wanted = {n: add_years(case.moved_in_on, n) for n in current_app.config["MIGRANT_FOLLOWUP_YEARS"]}
    existing = {f.year_mark: f for f in case.followups}
    for year, followup in existing.items():
        if followup.outcome is not None:
            continue
        if year not in wanted:
            case.followups.remove(followup)
        elif followup.due_on != wanted[year]:
            followup.due_on = wanted[year]
    for year, due in wanted.items():
        if year not in existing:
            case.followups.append(FollowUp(year_mark=year, due_on=due))
    db.session.flush()


def record_followup(case: MigrationCase, followup: FollowUp, *, outcome: str, checked_on: date,
                    moved_out_on: date | None, staff: str, note: str) -> None:
    if outcome == "moved_out":
        if moved_out_on is None:
            raise CaseError("転出の場合は転出日を入力してください。")
        if case.moved_in_on and moved_out_on < case.moved_in_on:
            raise CaseError("転出日が転入日より前です。")
    followup.outcome = outcome
    followup.checked_on = checked_on
    followup.moved_out_on = moved_out_on if outcome == "moved_out" else None
    followup.staff = staff
    followup.note = note
    if outcome == "moved_out":
        case.moved_out_on = moved_out_on
        if case.status != "cancelled":
            case.status = "moved_out"
    elif outcome == "staying" and case.status == "moved_in":
        case.status = "settled"
    db.session.flush()
    schedule_followups(case)


def due_followups(query_user, *, which: str = "due", today: date | None = None) -> sa.Select:
    """Open checks of cases not cancelled: `overdue` (due before today), `month` (due from
    today to the end of this month), `due` (both)."""
    today = today or jp.today()
    query = (sa.select(FollowUp).join(FollowUp.case)
             .where(FollowUp.outcome.is_(None), MigrationCase.status != "cancelled"))
    if which == "overdue":
        query = query.where(FollowUp.due_on < today)
    elif which == "month":
        query = query.where(FollowUp.due_on >= today, FollowUp.due_on <= jp.month_end(today))
    else:
        query = query.where(FollowUp.due_on <= jp.month_end(today))
    return visible_cases(query_user, query).order_by(FollowUp.due_on, FollowUp.id)


# At most this many open checks are read by their index and their cases sorted.
FEW_OPEN_CHECKS = 2_000


def with_open_followup(*conditions) -> sa.ColumnElement[bool]:
    """The cases with an open settlement check meeting the conditions (on FollowUp), as a
    condition of the case list. Asked of each case (EXISTS) as the list's order is walked, few
    such checks made the walk read every case: 0.5 s at 1,000,000 cases for 「確認期限」 when none
    was due. Few checks are read first (their cases sorted after), many are found by the walk."""
    checks = sa.select(FollowUp.case_id).where(*conditions)
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(
        checks.limit(FEW_OPEN_CHECKS + 1).subquery()))
    if counted <= FEW_OPEN_CHECKS:
        return MigrationCase.id.in_(checks)
    return sa.exists().where(FollowUp.case_id == MigrationCase.id, *conditions)


# --- repayment -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Repayment:
    share: str  # "full" / "half"
    label: str  # 全額 / 半額
    granted: int  # yen
    due: int  # yen


def repayment(case: MigrationCase) -> Repayment | None:
    """The grant to repay when the household moved out: before the FULL years after the move-in
    everything, before the HALF years half of it (rounded down to the yen)."""
    if case.cancelled or case.moved_in_on is None or case.moved_out_on is None:
        return None
    granted = sum(s.amount or 0 for s in case.supports if s.kind == "grant")
    if not any(s.kind == "grant" for s in case.supports):
        return None
    cfg = current_app.config
    if case.moved_out_on < add_years(case.moved_in_on, cfg["MIGRANT_REPAY_FULL_YEARS"]):
        return Repayment("full", "全額", granted, granted)
    if case.moved_out_on < add_years(case.moved_in_on, cfg["MIGRANT_REPAY_HALF_YEARS"]):
        return Repayment("half", "半額", granted, granted // 2)
    return None


# What the case list shows of each case (paging.paginate(..., columns=LIST_COLUMNS)): the list's
# query joins the applicant (Person).
LIST_COLUMNS = (MigrationCase.id, MigrationCase.ref, MigrationCase.status, MigrationCase.inquired_on,
                MigrationCase.origin_prefecture, MigrationCase.origin_municipality,
                MigrationCase.household_size, MigrationCase.moved_in_on, Person.full_name, Person.full_kana)
