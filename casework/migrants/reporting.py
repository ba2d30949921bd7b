"""Numbers of migrant support, each computed with one aggregate query: the funnel of a fiscal
year, the year's totals in 件 / 世帯 / 人, the settlement of 地域おこし協力隊 members, and the
rollup source of indicator 1-01-05-1 (persons moved in)."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from casework import jp
from casework.extensions import db
from casework.migrants.models import STATUS_LABELS, FollowUp, MigrationCase, SupportItem
from casework.people.models import Person

NOT_CANCELLED = MigrationCase.status != "cancelled"
FUNNEL_YEARS = (1, 3, 5)


def cohort_date():
    """The date that places a case in the funnel: its first inquiry; an imported case without
    one is placed by its move-in."""
    return sa.func.coalesce(MigrationCase.inquired_on, MigrationCase.moved_in_on)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    households: int
    persons: int


def _count(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _persons(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, MigrationCase.household_size), else_=0)), 0)


def funnel(fy: int) -> list[Stage]:
    """Cases whose first inquiry falls in the fiscal year, followed through: how many received
    support, moved in, and were confirmed still here at a settlement check 1, 3 and 5 years
    after the move-in (a check recorded as 定住中 at a later year counts for the earlier ones)."""
    start, end = jp.fiscal_year_bounds(fy)
    supported = sa.exists().where(SupportItem.case_id == MigrationCase.id)
    moved_in = MigrationCase.moved_in_on.is_not(None)

    def staying(years: int):
        return sa.exists().where(FollowUp.case_id == MigrationCase.id, FollowUp.outcome == "staying",
                                 FollowUp.year_mark >= years)

    stages = [("inquiries", "相談", sa.true()), ("supported", "支援", supported), ("moved_in", "転入", moved_in)]
    stages += [(f"stay{n}", f"{n}年後も定住", staying(n)) for n in FUNNEL_YEARS]
    columns = []
    for key, _label, condition in stages:
        columns += [_count(condition).label(f"{key}_h"), _persons(condition).label(f"{key}_p")]
    row = (sa.select(*columns)
           .where(NOT_CANCELLED, cohort_date() >= start, cohort_date() <= end))
    values = db.session.execute(row).one()._mapping
    return [Stage(key, label, int(values[f"{key}_h"]), int(values[f"{key}_p"]))
            for key, label, _c in stages]


@dataclass(frozen=True)
class YearTotals:
    inquiries: int  # 件: first inquiries in the year
    households: int  # 世帯: households moved in during the year
    persons: int  # 人: persons moved in during the year (the indicator's unit)


def year_totals(fy: int) -> YearTotals:
    start, end = jp.fiscal_year_bounds(fy)
    in_year = sa.and_(MigrationCase.moved_in_on >= start, MigrationCase.moved_in_on <= end)
    inquiry = cohort_date()
    row = db.session.execute(sa.select(
        _count(sa.and_(inquiry >= start, inquiry <= end)), _count(in_year), _persons(in_year),
    ).where(NOT_CANCELLED)).one()
    return YearTotals(int(row[0]), int(row[1]), int(row[2]))


@dataclass(frozen=True)
class Settlement:
    members: int  # 協力隊 appointments recorded
    serving: int  # term not ended (or no end recorded)
    ended: int
    stayed: int
    left: int
    unknown: int

    @property
    def rate(self) -> float | None:
        """Settled ÷ members whose term has ended (an unknown outcome counts as not settled)."""
        return None if not self.ended else self.stayed / self.ended


def kyoryokutai_settlement(today: date | None = None) -> Settlement:
    today = today or jp.today()
    ended = sa.and_(SupportItem.term_end.is_not(None), SupportItem.term_end < today)
    row = db.session.execute(
        sa.select(sa.func.count(),
                  _count(ended),
                  _count(sa.and_(ended, SupportItem.stayed_after.is_(True))),
                  _count(sa.and_(ended, SupportItem.stayed_after.is_(False))),
                  _count(sa.and_(ended, SupportItem.stayed_after.is_(None))))
        .select_from(SupportItem).join(MigrationCase, SupportItem.case_id == MigrationCase.id)
        .where(SupportItem.kind == "kyoryokutai", NOT_CANCELLED)).one()
    members, ended_n, stayed, left, unknown = (int(v) for v in row)
    return Settlement(members, members - ended_n, ended_n, stayed, left, unknown)


# --- rollup source `migration_cases` ---------------------------------------------------------

def source_rows() -> sa.Select:
    return sa.select(
        MigrationCase.id.label("record_id"),
        MigrationCase.id.label("subject_key"),
        MigrationCase.moved_in_on.label("event_date"),
        MigrationCase.household_size.label("weight"),
    ).where(NOT_CANCELLED)


def describe(record_ids: sa.Select) -> sa.Select:
    origin = MigrationCase.origin_prefecture + MigrationCase.origin_municipality
    title = (sa.literal("移住支援 ") + sa.case((origin != "", origin + "から "), else_="")
             + sa.cast(MigrationCase.household_size, sa.String) + "人世帯")
    status = sa.case(*((MigrationCase.status == code, label) for code, label in STATUS_LABELS.items()),
                     else_=MigrationCase.status)
    return (sa.select(MigrationCase.id.label("record_id"), title.label("title"),
                      (Person.family_name + " " + Person.given_name).label("person"),
                      status.label("status"))
            .join(Person, Person.id == MigrationCase.person_id)
            .where(MigrationCase.id.in_(record_ids))
            .order_by(MigrationCase.moved_in_on, MigrationCase.id))


def export_describe(record_ids: sa.Select) -> sa.Select:
    """The drill-down export's columns of the migrant (the household's contact person)."""
    return (sa.select(MigrationCase.id.label("record_id"), MigrationCase.ref.label("ref"),
                      (Person.family_name + " " + Person.given_name).label("name"),
                      (Person.family_name_kana + " " + Person.given_name_kana).label("furigana"))
            .join(Person, Person.id == MigrationCase.person_id)
            .where(MigrationCase.id.in_(record_ids)))


def export_people(record_ids: sa.Select) -> sa.Select:
    """Whose data an exported row carries: the person named in it (the title names no one)."""
    return sa.select(MigrationCase.id, MigrationCase.person_id).where(MigrationCase.id.in_(record_ids))
