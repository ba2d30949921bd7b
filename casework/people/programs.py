"""The programs a person can take part in. Each program registers itself here once, so that
the people pages can show a person's cases in every program the user may read, and so that a
person is visible only to users who may read a program the person is in."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa


@dataclass(frozen=True)
class CaseLink:
    """One case of a person, as the person page lists it."""

    title: str
    url: str
    status: str
    on: date | None = None
    cancelled: bool = False


@dataclass(frozen=True)
class Program:
    name: str  # "startups"
    label: str  # 「創業支援」
    read_capability: str  # "startups.read"
    # A condition on Person: the person takes part. Correlated EXISTS on an indexed person_id, one
    # probe per person: `people.id IN (every startup case's person)` made PostgreSQL rescan 400,000
    # cases for each person once the ids no longer fitted in work_mem (a manager's search: minutes).
    takes_part: Callable[[], sa.ColumnElement[bool]]
    # The person's cases in this program, newest first.
    cases_of: Callable[[int], list[CaseLink]]


_PROGRAMS: dict[str, Program] = {}


def register_program(program: Program) -> None:
    _PROGRAMS[program.name] = program


def programs() -> list[Program]:
    return list(_PROGRAMS.values())


def readable_programs(user) -> list[Program]:
    return [p for p in _PROGRAMS.values() if user.can(p.read_capability)]
