"""No N+1 on a list page: the number of SQL statements a list issues does not grow with its rows.

Each list is filled with 10 records, its statements counted (SQLAlchemy before_cursor_execute),
then with 100 (two pages of 50: the first page shows 50) and counted again: the counts must be
equal, but for the pager's one bounded count, made only when there is a next page
(casework.paging). Records are written with Core inserts: the lists only read them."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from casework import jp
from casework.extensions import db

NOW = datetime(2026, 4, 1, tzinfo=UTC)
FAMILY = [("田中", "たなか"), ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし")]


class Fill:
    """Adds numbered records to the tables a list reads; numbering goes on between calls."""

    def __init__(self, app):
        self.app = app
        self.next = 1

    def _people(self, conn, count: int) -> list[int]:
        ids = []
        for _ in range(count):
            n = self.next
            self.next += 1
            family, family_kana = FAMILY[n % len(FAMILY)]
            given, given_kana = f"名{n:03d}", f"な{n:03d}"
            ids.append(conn.execute(db.metadata.tables["people"].insert().values(
                family_name=family, given_name=given, family_name_kana=family_kana, given_name_kana=given_kana,
                birth_date=date(1980, 1, 1) + timedelta(days=n), phone=f"0164-42-{n:04d}",
                name_key=jp.fold(family + given), kana_key=jp.fold_kana_name(family_kana, given_kana),
                given_name_key=jp.fold(given), given_kana_key=jp.fold(given_kana),
                phone_key=f"016442{n:04d}", phone_tail_key=f"016442{n:04d}"[::-1],
                created_at=NOW, updated_at=NOW)).inserted_primary_key[0])
        return ids

    def startup_cases(self, count: int) -> None:
        with self.app.app_context(), db.engine.begin() as conn:
            for person_id in self._people(conn, count):
                conn.execute(db.metadata.tables["startup_cases"].insert().values(
                    person_id=person_id, business_idea=f"店{person_id}", status="consulting",
                    first_consulted_on=date(2026, 4, 1) + timedelta(days=person_id % 300),
                    created_at=NOW, updated_at=NOW))

    def migration_cases(self, count: int) -> None:
        with self.app.app_context(), db.engine.begin() as conn:
            for person_id in self._people(conn, count):
                conn.execute(db.metadata.tables["migration_cases"].insert().values(
                    person_id=person_id, status="moved_in", inquired_on=date(2026, 4, 1),
                    moved_in_on=date(2026, 6, 1), household_size=2, origin_prefecture="東京都",
                    created_at=NOW, updated_at=NOW))

    def host_families(self, count: int) -> None:
        with self.app.app_context(), db.engine.begin() as conn:
            for person_id in self._people(conn, count):
                conn.execute(db.metadata.tables["host_families"].insert().values(
                    person_id=person_id, ref=f"H{person_id}", capacity=2, status="registered",
                    registered_on=date(2026, 4, 1), created_at=NOW, updated_at=NOW))

    def partnerships(self, count: int) -> None:
        with self.app.app_context(), db.engine.begin() as conn:
            for _ in range(count):
                n = self.next
                self.next += 1
                org_id = conn.execute(db.metadata.tables["organizations"].insert().values(
                    name=f"株式会社テスト{n:03d}", name_key=f"株式会社テスト{n:03d}", outside_region=True,
                    prefecture="東京都", created_at=NOW, updated_at=NOW)).inserted_primary_key[0]
                conn.execute(db.metadata.tables["partnerships"].insert().values(
                    ref=f"R{n}", organization_id=org_id, kind="agreement", status="concluded",
                    agreed_on=date(2026, 5, 1) + timedelta(days=n % 200), created_at=NOW, updated_at=NOW))


def _statements(app, client, url: str) -> tuple[list[str], str]:
    seen = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, url
    return seen, response.get_data(as_text=True)


def _pager_counts(statements: list[str]) -> list[str]:
    """The pager's count (bounded at 1,001 rows): issued only when there is a next page."""
    return [s for s in statements if " ".join(s.split()).startswith("SELECT count(*)")]


LISTS = [
    # (role, url, how to add records, text every shown row carries)
    ("counter", "/startups/cases", "startup_cases", "店"),
    ("counter", "/people/?q=な", "startup_cases", "名"),
    ("coordinator", "/students/families", "host_families", "名"),
    ("counter", "/partnerships/", "partnerships", "株式会社テスト"),
    ("counter", "/migrants/", "migration_cases", "名"),
]


@pytest.mark.parametrize(("role", "url", "kind", "marker"), LISTS, ids=[u for _r, u, _k, _m in LISTS])
def test_a_list_page_issues_as_many_queries_for_100_rows_as_for_10(app, login_as, role, url, kind, marker):
    client = login_as(role)
    fill = Fill(app)
    getattr(fill, kind)(10)
    client.get(url)  # first request of a worker: caches warmed, nothing counted
    few, page = _statements(app, client, url)
    assert page.count(marker) >= 10, url
    getattr(fill, kind)(90)
    many, page = _statements(app, client, url)
    assert page.count(marker) >= 50, url
    # 100 rows have a next page, so the pager counts them (once, bounded); nothing else grows.
    assert len(_pager_counts(few)) == 0 and len(_pager_counts(many)) == 1, url
    assert len(many) - 1 == len(few), f"{url}: {len(few)} statements for 10 rows, {len(many)} for 100"
