"""Sources of the case indicators. A source is ONE SQL select over a program's records that
yields, per countable record, the labelled columns

    record_id    the record's primary key (what a drill-down lists and links to)
    subject_key  what "distinct" counts once (a person id, a student id; the record id when
                 each record is its own subject)
    event_date   the date that places the record in a period (NULL: not yet countable)
    weight       what sum_weight adds up (household size; 1 otherwise)

Records entered in error (status "cancelled") are filtered out inside the select. Each program
registers its source when its package is set up; casework.plans.rollup is the only code that
counts with them."""

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Source:
    name: str  # as counting rules name it: "startup_cases", "migration_cases", ...
    label: str  # 「創業相談」: shown in rule sentences and drill-downs
    program: str  # the program whose read capability opens its records ("startups", ...)
    rows: Callable[[], sa.Select]  # the select described above
    # For drill-downs: a select of (record_id, title, person, status) for the given record ids
    # select, and the endpoint (with its id argument name) of a record's page.
    describe: Callable[[sa.Select], sa.Select]
    record_endpoint: str
    record_id_arg: str = "case_id"
    # Words for rule sentences: what one subject is (「人」, 「件」) and what the date is.
    subject_word: str = "件"
    date_word: str = ""
    # What sum_weight adds up, in words (「世帯の人数」). Optional; added after the first sources.
    weight_word: str = "人数"
    # For the drill-down's exports (casework.plans.export), given a select of record ids:
    # `export_describe` a select of (record_id, ref, name, furigana) and `people` a select of
    # (record_id, person_id), one row for each person whose data the exported row carries (the
    # audit log answers "whose data was in this export" from it). A source without `people`
    # holds no personal data: its export needs no fresh password.
    export_describe: Callable[[sa.Select], sa.Select] | None = None
    people: Callable[[sa.Select], sa.Select] | None = None


_SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    _SOURCES[source.name] = source


def get_source(name: str) -> Source | None:
    return _SOURCES.get(name)


def sources() -> dict[str, Source]:
    return dict(_SOURCES)
