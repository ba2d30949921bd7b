"""Lists page without counting every row (casework.paging): up to 1,000 matching rows the
total is exact, beyond that the page says 「1,000件以上」 and still pages on; any ?page= is a
page, never an error."""

from datetime import UTC, date, datetime, timedelta

from casework import jp
from casework.extensions import db
from casework.people.models import Person

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def _people(app, count: int) -> None:
    """count people named 山田 NNNN, written with Core inserts (the list only reads them)."""
    rows = []
    for n in range(count):
        given, given_kana = f"{n:04d}", f"た{n:04d}"
        rows.append(dict(
            family_name="山田", given_name=given, family_name_kana="やまだ", given_name_kana=given_kana,
            birth_date=date(1950, 1, 1) + timedelta(days=n), name_key=jp.fold("山田" + given),
            kana_key=jp.fold_kana_name("やまだ", given_kana), given_name_key=jp.fold(given),
            given_kana_key=jp.fold(given_kana), created_at=NOW, updated_at=NOW))
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(Person.__table__.insert(), rows)


def test_more_than_1000_rows_are_not_counted_but_still_paged(app, login_as):
    _people(app, 1001)
    counter = login_as("counter")
    first = counter.get("/people/").get_data(as_text=True)
    assert "1 ページ目（1,000件以上）" in first and 'rel="next"' in first and "全1001件" not in first
    assert "山田 0000" in first and "山田 0050" not in first
    second = counter.get("/people/?page=2").get_data(as_text=True)
    assert "2 ページ目（1,000件以上）" in second and "山田 0050" in second and 'rel="prev"' in second
    # The last page knows the total without counting: it holds the last row.
    last = counter.get("/people/?page=21").get_data(as_text=True)
    assert "21 / 21 ページ（全1001件）" in last and "山田 1000" in last and 'rel="next"' not in last
    # A search narrows the list to an exact total again.
    found = counter.get("/people/", query_string={"q": "ﾀ001"}).get_data(as_text=True)
    assert "全10件" in found


def test_up_to_1000_rows_the_total_is_exact(app, login_as):
    _people(app, 1000)
    counter = login_as("counter")
    page = counter.get("/people/").get_data(as_text=True)
    assert "1 / 20 ページ（全1000件）" in page


def test_any_page_number_is_a_page(app, login_as):
    _people(app, 3)
    counter = login_as("counter")
    for number in ("0", "-3", "abc", "1.5", ""):
        page = counter.get(f"/people/?page={number}")
        assert page.status_code == 200 and "山田 0000" in page.get_data(as_text=True), number
    for number in ("2", "99999999999999999999999"):
        page = counter.get(f"/people/?page={number}")
        assert page.status_code == 200, number
        text = page.get_data(as_text=True)
        assert "山田 0000" not in text and 'rel="prev"' in text and "全3件" in text, number


def test_the_pager_speaks_the_users_language(app, login_as):
    _people(app, 1001)
    english = login_as("counter")
    english.post("/account", data={"loc-locale": "en", "loc-submit": "1"})
    japanese = login_as("counter")
    page = english.get("/people/").get_data(as_text=True)
    assert "Page 1 (more than 1,000)" in page and "New person" in page
    # The catalogue is looked up once per request: the next user's request is Japanese again.
    page = japanese.get("/people/").get_data(as_text=True)
    assert "1 ページ目（1,000件以上）" in page and "対象者を登録" in page
    page = english.get("/people/?page=21").get_data(as_text=True)
    assert "Page 21 of 21 (1001 in total)" in page
