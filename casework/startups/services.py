"""Writes on startup cases: opening a case, logging consultations, the workflow and the
特定創業支援等事業 certificate. Callers commit."""

import calendar
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from casework.extensions import db
from casework.people.models import Person
from casework.startups.models import (
    STATUS_LABELS,
    TOPIC_LABELS,
    TRANSITIONS,
    Consultation,
    StartupCase,
)

# 特定創業支援等事業: at least four sessions over at least one month covering all four topics.
REQUIRED_SESSIONS = 4


class StartupError(ValueError):
    """A rule of the startup area refused the change; the message is Japanese."""


def one_month_after(d: date) -> date:
    """The same day a month later (Jan 31 → Feb 28/29)."""
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


@dataclass
class SpecificSupport:
    """Progress towards the 特定創業支援等事業 condition."""

    sessions: int = 0
    first: date | None = None
    last: date | None = None
    covered: list[str] = field(default_factory=list)

    @property
    def span_days(self) -> int:
        return (self.last - self.first).days if self.first and self.last else 0

    @property
    def month_reached(self) -> bool:
        return self.first is not None and self.last is not None and self.last >= one_month_after(self.first)

    @property
    def sessions_reached(self) -> bool:
        return self.sessions >= REQUIRED_SESSIONS

    @property
    def missing_topics(self) -> list[str]:
        return [label for code, label in TOPIC_LABELS.items() if code not in self.covered]

    @property
    def met(self) -> bool:
        return self.sessions_reached and self.month_reached and not self.missing_topics

    @property
    def sessions_text(self) -> str:
        return f"{self.sessions}/{REQUIRED_SESSIONS}回"

    @property
    def span_text(self) -> str:
        return f"期間 {self.span_days}日/1か月"

    @property
    def missing_text(self) -> str:
        return "未実施の分野: " + "・".join(self.missing_topics) if self.missing_topics else "4分野すべて実施"

    def unmet_reasons(self) -> list[str]:
        reasons = []
        if not self.sessions_reached:
            reasons.append(f"相談が{REQUIRED_SESSIONS}回に達していません（{self.sessions_text}）")
        if not self.month_reached:
            reasons.append(f"初回から最終回まで1か月に達していません（{self.span_text}）")
        if self.missing_topics:
            reasons.append(self.missing_text)
        return reasons


def specific_support(case: StartupCase) -> SpecificSupport:
    logs = list(case.consultations)
    progress = SpecificSupport(sessions=len(logs))
    if logs:
        dates = [c.held_on for c in logs]
        progress.first, progress.last = min(dates), max(dates)
        progress.covered = sorted({t for c in logs for t in c.topic_list})
    return progress


def open_case(person: Person, *, business_idea: str = "", industry: str = "",
              supporting_body: str = "city", staff_id: int | None = None,
              first_consulted_on: date | None = None, note: str = "",
              ref: str | None = None) -> StartupCase:
    case = StartupCase(person=person, person_id=person.id, business_idea=business_idea.strip(),
                       industry=industry.strip(), supporting_body=supporting_body,
                       staff_id=staff_id, status="consulting",
                       first_consulted_on=first_consulted_on, note=note, ref=ref or None)
    db.session.add(case)
    db.session.flush()
    return case


def add_consultation(case: StartupCase, *, held_on: date, channel: str = "counter",
                     staff_id: int | None = None, topics: list[str] | None = None,
                     minutes: int | None = None, notes: str = "") -> Consultation:
    unknown = [t for t in topics or [] if t not in TOPIC_LABELS]
    if unknown:
        raise StartupError(f"相談分野「{unknown[0]}」はありません。")
    if case.cancelled:
        raise StartupError("取消の案件には相談記録を追加できません。")
    entry = Consultation(case=case, held_on=held_on, channel=channel, staff_id=staff_id,
                         topics=" ".join(t for t in TOPIC_LABELS if t in (topics or [])),
                         minutes=minutes, notes=notes.strip())
    db.session.add(entry)
    sync_first_consulted(case)
    db.session.flush()
    return entry


def earliest_consultation(case: StartupCase) -> date | None:
    dates = [c.held_on for c in case.consultations]
    return min(dates) if dates else None


def sync_first_consulted(case: StartupCase) -> None:
    """The first consultation date follows the earliest logged consultation, when there is one."""
    earliest = earliest_consultation(case)
    if earliest is not None and case.first_consulted_on != earliest:
        case.first_consulted_on = earliest


def allowed_next(case: StartupCase) -> list[str]:
    return list(TRANSITIONS.get(case.status, ()))


def change_status(case: StartupCase, new_status: str, *, founded_on: date | None = None) -> None:
    if new_status not in STATUS_LABELS:
        raise StartupError("その状態はありません。")
    if new_status == case.status:
        return
    if new_status not in TRANSITIONS.get(case.status, ()):
        raise StartupError(
            f"「{case.status_label}」から「{STATUS_LABELS[new_status]}」には変更できません。"
            f"変更できるのは {'、'.join(STATUS_LABELS[s] for s in allowed_next(case)) or 'なし'} です。")
    if new_status == "founded":
        founded_on = founded_on or case.founded_on
        if founded_on is None:
            raise StartupError("創業済にするには創業日を入力してください。")
        case.founded_on = founded_on
    case.status = new_status


def record_certificate(case: StartupCase, number: str, issued_on: date) -> None:
    """The 特定創業支援等事業 certificate: only once the condition is met."""
    if case.cancelled:
        raise StartupError("取消の案件には証明書を記録できません。")
    progress = specific_support(case)
    if not progress.met:
        raise StartupError("特定創業支援等事業の要件を満たしていないため、証明書を記録できません: "
                           + "、".join(progress.unmet_reasons()) + "。")
    if progress.last and issued_on < progress.last:
        raise StartupError("証明書の発行日は最後の相談日より後にしてください。")
    case.certificate_number = number.strip()
    case.certificate_issued_on = issued_on


def cases_query() -> sa.Select:
    return sa.select(StartupCase).join(StartupCase.person)


# A staff member with at most this many cases has them read by the staff index and sorted.
FEW_CASES = 2_000


def has_few_cases(staff_id: int) -> bool:
    """At most FEW_CASES cases are in this staff member's charge (counted no further)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(StartupCase.id).where(StartupCase.staff_id == staff_id).limit(FEW_CASES + 1).subquery())) <= FEW_CASES


def of_staff(staff_id: int, *, few: bool) -> sa.ColumnElement[bool]:
    """The cases of this staff member, as a condition of the case list. Nothing tells the planners
    how many cases a member has (SQLite's statistics say 400,000 each: all the generated cases
    have none), so they walk the list's order testing each case: for a member with few cases, or
    none, the whole list (0.6 s at 1,000,000 cases). A member's few cases are read by the staff
    index and sorted instead; many are found soon enough by the walk."""
    same_staff = StartupCase.staff_id == staff_id
    return StartupCase.id.in_(sa.select(StartupCase.id).where(same_staff)) if few else same_staff


# What the case list shows of each case (paging.paginate(..., columns=LIST_COLUMNS)).
LIST_COLUMNS = (StartupCase.id, StartupCase.ref, StartupCase.status, StartupCase.business_idea,
                StartupCase.first_consulted_on, StartupCase.staff_id, StartupCase.supporting_body,
                StartupCase.certificate_issued_on, Person.full_name, Person.full_kana)
