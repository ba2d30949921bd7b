"""Regenerate the README's screenshots in docs/screenshots/ (PNG, 1280×800).

    .venv/bin/python scripts/screenshots.py

Starts the real app (gunicorn on 127.0.0.1) on a fresh SQLite database in a temporary folder,
fills it with realistic sample data through the CSV import command (startup cases, host
families, placements, partnerships, observed figures: the same files an office would import),
enters one walk-in at the counter through the browser, then photographs the main screens with
Debian's Chromium (/usr/bin/chromium; Playwright never downloads a browser). The server is
always stopped, whatever happens. Needs the test extra (`pip install -e .[test]`) and a Japanese
font (Debian: fonts-ipafont-gothic; `python3 scripts/dev.py test` installs both).
"""

import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casework import jp  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, live_server, log_in  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
NAMES = {"counter": "佐藤 窓口", "coordinator": "高橋 コーディネーター", "manager": "鈴木 課長",
         "admin": "システム管理者"}


def _csv(header: str, rows: list[tuple]) -> str:
    return header + "\n" + "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows) + "\n"


def sample_files(today: date) -> dict[str, str]:
    """The CSV files, dated relative to today so the current fiscal year always has data."""
    fy = jp.fiscal_year_of(today)
    start = date(fy, 4, 1)
    span = max((today - start).days, 1)

    def in_year(share: float) -> date:
        return start + timedelta(days=int(span * share))

    last_year = date(fy - 1, 4, 1)
    people = [
        ("田中", "太郎", "たなか", "たろう", "1985-06-01"), ("田中", "花子", "たなか", "はなこ", "1991-02-14"),
        ("佐々木", "健", "ささき", "けん", "1979-11-03"), ("伊藤", "美咲", "いとう", "みさき", "1994-08-21"),
        ("中村", "翔太", "なかむら", "しょうた", "1988-03-09"), ("小林", "由美", "こばやし", "ゆみ", "1983-12-30"),
        ("加藤", "大輔", "かとう", "だいすけ", "1990-05-17"), ("山田", "彩", "やまだ", "あや", "1996-01-25"),
    ]
    startups = []
    for i, (fam, giv, fk, gk, born) in enumerate(people):
        first = in_year(0.1 + 0.8 * i / len(people)) if i >= 2 else last_year + timedelta(days=60 + 90 * i)
        status = "founded" if i == 0 else ("supporting" if i % 2 else "consulting")
        founded = (first + timedelta(days=120)).isoformat() if status == "founded" else None
        startups.append((f"S{fy}-{i + 1:03d}", fam, giv, fk, gk, born, "0164-42-" + f"{2000 + i}",
                         first.isoformat(), founded, status))
    families = [
        ("H-001", "大漁", "一郎", "たいりょう", "いちろう", "北海道留萌市港町1丁目", "0164-43-1001", 2),
        ("H-002", "港町", "和子", "みなとまち", "かずこ", "北海道留萌市錦町2丁目", "0164-43-1002", 1),
        ("H-003", "黄金岬", "誠", "おうごんみさき", "まこと", "北海道留萌市大町3丁目", "0164-43-1003", 2),
        ("H-004", "千望", "恵", "せんぼう", "めぐみ", "北海道留萌市沖見町4丁目", "0164-43-1004", 1),
    ]
    registered = (start - timedelta(days=30)).isoformat()
    students = [
        ("P-001", "ST-01", "北見", "大地", "きたみ", "だいち", "2009-05-02", "北海道", "H-001", in_year(0.0), None),
        ("P-002", "ST-02", "根室", "海斗", "ねむろ", "かいと", "2009-09-12", "北海道", "H-001", in_year(0.3), None),
        ("P-003", "ST-03", "稚内", "光", "わっかない", "ひかる", "2010-01-20", "北海道", "H-002", in_year(0.0),
         in_year(0.5)),
        ("P-004", "ST-03", "稚内", "光", "わっかない", "ひかる", "2010-01-20", "北海道", "H-003",
         in_year(0.5) + timedelta(days=1), None),
        ("P-005", "ST-04", "青森", "葵", "あおもり", "あおい", "2009-07-07", "青森県", "H-003", in_year(0.6), None),
        ("P-006", "ST-05", "盛岡", "蓮", "もりおか", "れん", "2010-03-03", "岩手県", "H-004", in_year(0.8), None),
    ]
    partnerships = [
        (f"R{fy}-01", "株式会社北海フーズ", "札幌市", "北海道", "product_development", in_year(0.2)),
        (f"R{fy}-02", "東京港湾ロジスティクス株式会社", "港区", "東京都", "siting", in_year(0.7)),
        (f"R{fy - 1}-01", "みちのく水産研究所", "仙台市", "宮城県", "joint_research", last_year + timedelta(days=200)),
    ]
    observed = [
        ("1-01-02-1", 655, 662), ("1-01-02-2", 168.4, 170.2), ("1-01-02-3", 571, 573),
        ("1-01-03-1", 1.38, 1.44), ("1-01-03-2", 97.6, 98.9), ("1-01-04-1", 6102, 6188),
        ("1-01-04-2", 34, 35),
    ]
    latest = min(today.replace(day=1) - timedelta(days=1), date(fy + 1, 3, 31))
    month = latest.strftime("%Y-%m") if latest >= start else ""
    observations = [(code, fy - 1, "", before, "留萌市統計") for code, before, _now in observed]
    if month:
        observations += [(code, fy, month, now, "留萌市統計") for code, _before, now in observed]
    return {
        "startup": _csv("ref,family_name,given_name,family_name_kana,given_name_kana,birth_date,phone,"
                        "first_consulted_on,founded_on,status", startups),
        "host-families": _csv("ref,family_name,given_name,family_name_kana,given_name_kana,address,phone,"
                              "capacity,registered_on",
                              [(*f, registered) for f in families]),
        "placements": _csv("ref,student_ref,family_name,given_name,family_name_kana,given_name_kana,birth_date,"
                           "home_prefecture,host_family_ref,started_on,ended_on,school",
                           [(*s[:9], s[9].isoformat(), s[10].isoformat() if s[10] else None, "北海道留萌高等学校")
                            for s in students]),
        "partnerships": _csv("ref,organization,organization_municipality,organization_prefecture,kind,agreed_on",
                             [(*p[:5], p[5].isoformat()) for p in partnerships]),
        "observations": _csv("indicator_code,fiscal_year,month,value,source", observations),
    }


def load(folder: Path, today: date):
    def setup(flask) -> None:
        for kind, text in sample_files(today).items():
            path = folder / f"{kind}.csv"
            path.write_text(text, encoding="utf-8")
            flask("import", kind, str(path))
    return setup


def shoot(page, name: str) -> None:
    page.wait_for_load_state("load")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"  {path.relative_to(ROOT)}")


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    today = jp.today()
    fy = jp.fiscal_year_of(today)
    with tempfile.TemporaryDirectory(prefix="casework-screens-") as tmp:
        folder = Path(tmp)
        with live_server(f"sqlite:///{folder / 'screens.db'}", folder / "instance", display_names=NAMES,
                         setup=load(folder, today)) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport=VIEWPORT)
                page = context.new_page()
                page.set_default_timeout(30_000)
                print("docs/screenshots:")
                page.goto(url + "/login")
                page.get_by_label("ユーザー名").fill("counter")
                shoot(page, "01-login")

                log_in(page, url, "counter")
                page.goto(url + "/startups/counter")
                page.get_by_label("姓", exact=True).fill("渡辺")
                page.get_by_label("名", exact=True).fill("直樹")
                page.get_by_label("せい（ふりがな）").fill("わたなべ")
                page.get_by_label("めい（ふりがな）").fill("なおき")
                page.get_by_label("生年月日").fill("1987-10-10")
                page.get_by_label("電話番号", exact=True).fill("0164-42-3456")
                page.get_by_label("事業の構想").fill("留萌産の数の子を使った土産物の製造・販売")
                page.get_by_label("業種").fill("食料品製造業")
                page.get_by_label("時間（分）").fill("45")
                page.get_by_label("経営", exact=True).check()
                page.get_by_label("販路開拓", exact=True).check()
                page.get_by_label("相談内容").fill("事業計画の立て方と、道の駅での販売について相談。")
                page.evaluate("window.scrollTo(0, 0)")
                shoot(page, "02-counter")
                page.get_by_role("button", name="受付を保存").click()
                expect(page.get_by_text("さんの創業相談を受け付けました")).to_be_visible()
                shoot(page, "03-startup-case")

                page.goto(url + "/people/")
                page.get_by_role("searchbox").fill("ﾀﾅｶ")
                page.keyboard.press("Enter")
                expect(page.get_by_role("link", name="田中 花子")).to_be_visible()
                shoot(page, "04-person-search")
                page.get_by_role("button", name="ログアウト").click()

                log_in(page, url, "coordinator")
                page.goto(url + "/students/calendar")
                shoot(page, "05-bed-calendar")
                page.get_by_role("button", name="ログアウト").click()

                log_in(page, url, "manager")
                page.goto(f"{url}/plans/?fy={fy}")
                shoot(page, "06-dashboard")
                row = page.locator("table.dashboard tbody tr").filter(has_text="1-01-01-1 ")
                row.locator("td.big a").click()
                expect(page.get_by_role("heading", level=1)).to_contain_text("1-01-01-1")
                shoot(page, "07-drilldown")
                page.goto(url + "/reports/review")
                shoot(page, "08-yearly-review")
                context.close()
            finally:
                browser.close()
    print("done; the server is stopped.")


if __name__ == "__main__":
    main()
