"""In a real browser, the three daily journeys of issue 10, in order, on one live server:

1. counter staff: a walk-in 田中 with a first startup consultation on the counter screen, found
   again by typing ﾀﾅｶ, a second consultation, the 特定創業支援 progress (once with the mouse,
   once with the keyboard only);
2. coordinator: a host family (capacity 2) taken through the workflow to 登録, two students
   placed, a third refused in Japanese, a move, the bed calendar;
3. manager: the dashboard shows what 1 and 2 added (1-01-01-1 and 1-01-05-2 for this fiscal
   year), the number opens exactly those records, the .xlsx has the same figures.

Every page visited is checked with axe-core (no serious or critical violations). The journeys
share the server's database: later tests read what earlier ones wrote (run the file whole)."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from casework import jp
from tests.browser import focused, log_in, serious_accessibility_violations, tab_to

TODAY = jp.today()
FY = jp.fiscal_year_of(TODAY)
MONTH = TODAY.strftime("%Y-%m")
STARTUPS, STUDENTS = "1-01-01-1", "1-01-05-2"

# What the journeys put in, checked by the manager's journey.
STARTUP_PEOPLE = ("田中 太郎", "田中 花子")
HOST, OTHER_HOST = "大漁家", "港町家"
PLACED = ("北見 大地", "根室 海斗")
REFUSED = "稚内 光"
MOVED = PLACED[0]

# Shared across the tests of this module (in order): the dashboard before the journeys.
before: dict = {}


def accessible(page) -> None:
    """The page has settled and axe-core finds nothing serious or critical."""
    page.wait_for_load_state("load")
    problems = serious_accessibility_violations(page)
    assert problems == [], f"{page.url}: {problems}"


def dashboard_row(page, code: str):
    return page.locator("table.dashboard tbody tr").filter(
        has=page.locator("th a", has_text=re.compile(rf"^{re.escape(code)} ")))


def dashboard_value(page, code: str) -> int:
    return int(dashboard_row(page, code).locator("td.big a").inner_text().strip())


def drilldown_people(page) -> list[str]:
    return sorted(page.locator("table.list tbody tr td:nth-child(3)").all_inner_texts())


def test_0_manager_sees_the_dashboard_before_the_journeys(page, live_url):
    log_in(page, live_url, "manager")
    page.get_by_role("link", name="指標・集計").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(jp.fiscal_year_label(FY))
    accessible(page)
    for code in (STARTUPS, STUDENTS):
        before[code] = dashboard_value(page, code)
    for code in (STARTUPS, STUDENTS):
        page.goto(f"{live_url}/plans/indicators/{code}/records?fy={FY}&month={MONTH}")
        before[code, "people"] = [p for p in drilldown_people(page) if p]
    # No one of this journey is counted yet.
    assert not set(before[STARTUPS, "people"]) & set(STARTUP_PEOPLE)


# --- journey 1: the counter ------------------------------------------------------------------


def test_1_counter_walk_in_found_again_second_consultation(page, live_url):
    log_in(page, live_url, "counter")
    accessible(page)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="窓口受付").click()
    expect(page.get_by_role("heading", name="窓口受付（創業相談）")).to_be_visible()
    accessible(page)

    # A walk-in: nobody to look up, a new person and the first consultation in one form.
    page.get_by_label("姓", exact=True).fill("田中")
    page.get_by_label("名", exact=True).fill("太郎")
    page.get_by_label("せい（ふりがな）").fill("たなか")
    page.get_by_label("めい（ふりがな）").fill("たろう")
    page.get_by_label("生年月日").fill("1988-05-12")
    page.get_by_label("電話番号", exact=True).fill("0164-42-1001")
    expect(page.get_by_label("新しい人として登録する（下に入力）")).to_be_checked()
    page.get_by_label("事業の構想").fill("留萌港の魚介を使った食堂")
    page.get_by_label("業種").fill("飲食業")
    page.get_by_label("時間（分）").fill("60")
    page.get_by_label("経営", exact=True).check()
    page.get_by_label("相談内容").fill("物件探しと開業資金の相談。")
    page.get_by_role("button", name="受付を保存").click()
    expect(page.get_by_text("田中 太郎さんの創業相談を受け付けました")).to_be_visible()
    progress = page.locator("section[aria-labelledby=specific-title]")
    expect(progress).to_contain_text("1/4回")
    accessible(page)

    # Later: found again by typing half-width katakana in the people search.
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="対象者").click()
    accessible(page)
    page.get_by_role("searchbox").fill("ﾀﾅｶ")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q="))
    page.get_by_role("link", name="田中 太郎").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("田中 太郎")
    accessible(page)
    page.get_by_role("region", name="創業支援").get_by_role("link", name="留萌港の魚介を使った食堂").click()
    expect(page.get_by_role("heading", name="相談記録を追加")).to_be_visible()

    # The second consultation: two more of the four fields.
    form = page.locator("form", has=page.get_by_role("button", name="相談記録を追加"))
    form.get_by_label("相談日").fill(TODAY.isoformat())
    form.get_by_label("方法").select_option(label="電話")
    form.get_by_label("財務", exact=True).check()
    form.get_by_label("販路開拓", exact=True).check()
    form.get_by_label("相談内容").fill("資金計画と販路の相談。")
    form.get_by_role("button", name="相談記録を追加").click()
    expect(page.get_by_text("の相談記録を追加しました")).to_be_visible()
    expect(page.get_by_role("heading", name="相談記録（2回）")).to_be_visible()
    expect(progress).to_contain_text("2/4回")
    expect(progress).to_contain_text("未実施の分野: 人材育成")
    expect(progress).to_contain_text("要件未達")
    accessible(page)


def test_1k_counter_journey_by_keyboard_only(page, live_url):
    """The same journey with no mouse: Tab, Space, typing and Enter only."""
    page.goto(live_url + "/login")
    # Autofocus lands a moment after load: wait for it rather than lose the first keystrokes.
    expect(page.get_by_label("ユーザー名")).to_be_focused()
    page.keyboard.type("counter")
    page.keyboard.press("Tab")
    page.keyboard.type("browser-test-password")
    page.keyboard.press("Enter")
    page.wait_for_url(live_url + "/")

    # The skip link comes first and is visible when focused.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "本文へ移動" and focused(page)["ring"]
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "窓口受付")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="窓口受付（創業相談）")).to_be_visible()
    accessible(page)
    # The search box has the focus on arrival.
    assert focused(page)["id"] == "counter-q"

    tab_to(page, "#family_name")
    page.keyboard.type("田中")
    tab_to(page, "#given_name")
    page.keyboard.type("花子")
    tab_to(page, "#family_name_kana")
    page.keyboard.type("たなか")
    tab_to(page, "#given_name_kana")
    page.keyboard.type("はなこ")
    tab_to(page, "#birth_date")
    page.keyboard.type("H3.2.14")
    tab_to(page, "#phone")
    page.keyboard.type("0164-42-1002")
    tab_to(page, "#business_idea")
    page.keyboard.type("古民家のゲストハウス")
    tab_to(page, "#topics-0")
    page.keyboard.press("Space")
    tab_to(page, "#topics-3")
    page.keyboard.press("Space")
    tab_to(page, "#notes")
    page.keyboard.type("開業までの流れを説明。")
    page.keyboard.press("Control+Enter")  # saves from the text area
    expect(page.get_by_text("田中 花子さんの創業相談を受け付けました")).to_be_visible()
    progress = page.locator("section[aria-labelledby=specific-title]")
    expect(progress).to_contain_text("1/4回")
    accessible(page)

    # Found again by typing ﾀﾅｶ: the menu, the search box (focused on arrival), Enter.
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "対象者")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="対象者")).to_be_visible()
    assert focused(page)["id"] == "q"
    page.keyboard.type("ﾀﾅｶ")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="田中 花子")).to_be_visible()
    expect(page.get_by_role("link", name="田中 太郎")).to_be_visible()
    accessible(page)
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "田中 花子")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("田中 花子")
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "古民家のゲストハウス")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="相談記録を追加")).to_be_visible()

    # The second consultation, from the keyboard.
    tab_to(page, "#held_on")
    page.keyboard.press("Control+a")
    page.keyboard.type(TODAY.isoformat())
    tab_to(page, "#topics-1")
    page.keyboard.press("Space")
    tab_to(page, "#topics-2")
    page.keyboard.press("Space")
    tab_to(page, "#notes")
    page.keyboard.type("資金計画と採用の相談。")
    tab_to(page, lambda f: f["tag"] == "input" and f["type"] == "submit" and f["text"] == "相談記録を追加")
    page.keyboard.press("Enter")
    expect(page.get_by_text("の相談記録を追加しました")).to_be_visible()
    expect(progress).to_contain_text("2/4回")
    expect(progress).to_contain_text("4分野すべて実施")
    accessible(page)


# --- journey 2: the coordinator ---------------------------------------------------------------


def register_family(page, family_name: str, given: str, kana: str, given_kana: str, capacity: int) -> None:
    """申込 → 面談 → 家庭訪問 → 登録, through the forms."""
    page.get_by_role("navigation", name="越境学生・里親のメニュー").get_by_role("link", name="受入家庭一覧").click()
    accessible(page)
    page.get_by_role("link", name="申込を登録").click()
    accessible(page)
    page.get_by_label("姓", exact=True).fill(family_name)
    page.get_by_label("名", exact=True).fill(given)
    page.get_by_label("せい（ふりがな）").fill(kana)
    page.get_by_label("めい（ふりがな）").fill(given_kana)
    page.get_by_label("住所", exact=True).fill("北海道留萌市港町1丁目")
    page.get_by_label("定員（人）").fill(str(capacity))
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text(f"受入家庭「{family_name}家」の申込を登録しました")).to_be_visible()
    accessible(page)
    for step in ("面談", "家庭訪問", "登録"):
        page.get_by_label("次の段階").select_option(label=step)
        page.get_by_label("実施日").fill(TODAY.isoformat())
        page.get_by_role("button", name="記録", exact=True).click()
        expect(page.get_by_text(f"「{step}」を記録しました")).to_be_visible()
    expect(page.get_by_role("heading", level=1).locator(".badge")).to_have_text("登録")


def register_student(page, name: str, kana: str, birth: str) -> None:
    family_name, given = name.split()
    family_kana, given_kana = kana.split()
    page.get_by_role("navigation", name="越境学生・里親のメニュー").get_by_role("link", name="学生一覧").click()
    page.get_by_role("link", name="学生を登録").click()
    page.get_by_label("姓", exact=True).fill(family_name)
    page.get_by_label("名", exact=True).fill(given)
    page.get_by_label("せい（ふりがな）").fill(family_kana)
    page.get_by_label("めい（ふりがな）").fill(given_kana)
    page.get_by_label("生年月日").fill(birth)
    page.get_by_label("学校").fill("北海道留萌高等学校")
    page.get_by_label("学年").fill("1年")
    page.get_by_label("出身の都道府県").fill("北海道")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text(f"学生「{name}」を登録しました")).to_be_visible()


def place(page, student: str, family: str, first_night) -> None:
    """From the student's page: 配置を登録, the family, the first night, save."""
    page.get_by_role("navigation", name="越境学生・里親のメニュー").get_by_role("link", name="学生一覧").click()
    page.get_by_role("link", name=student).click()
    page.get_by_role("link", name="配置を登録").first.click()
    expect(page.get_by_role("heading", name="配置の登録")).to_be_visible()
    option = page.get_by_label("受入家庭").locator("option", has_text=f"{family}（")
    page.get_by_label("受入家庭").select_option(option.get_attribute("value"))
    page.get_by_label("開始日（最初の夜）").fill(first_night.isoformat())
    page.get_by_role("button", name="配置する").click()


def test_2_coordinator_family_placements_refusal_move_calendar(page, live_url):
    log_in(page, live_url, "coordinator")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="越境学生・里親").click()
    accessible(page)

    register_family(page, "大漁", "一郎", "たいりょう", "いちろう", capacity=2)
    register_family(page, "港町", "二郎", "みなとまち", "じろう", capacity=1)

    for name, kana, birth in ((PLACED[0], "きたみ だいち", "2010-04-20"),
                              (PLACED[1], "ねむろ かいと", "2010-07-03"),
                              (REFUSED, "わっかない ひかる", "2010-09-30")):
        register_student(page, name, kana, birth)
    accessible(page)

    for student in PLACED:
        place(page, student, HOST, TODAY)
        expect(page.get_by_text(f"{student}さんを{HOST}に配置しました")).to_be_visible()
    accessible(page)

    # A third student the same night: refused, in Japanese, and nothing saved.
    place(page, REFUSED, HOST, TODAY)
    refusal = page.get_by_text(f"配置できません: {HOST}は")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("定員（2人）に達しているため、この期間は受け入れできません")
    expect(page.get_by_role("heading", name="配置の登録")).to_be_visible()
    accessible(page)

    # A move: 北見さん sleeps at 港町家 from tomorrow.
    tomorrow = TODAY + timedelta(days=1)
    page.get_by_role("navigation", name="越境学生・里親のメニュー").get_by_role("link", name="学生一覧").click()
    page.get_by_role("link", name=MOVED).click()
    page.locator("#history").get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.get_by_role("heading", name="別の家庭へ移動")).to_be_visible()
    accessible(page)
    move = page.locator("form", has=page.get_by_role("heading", name="別の家庭へ移動"))
    option = move.get_by_label("移動先の家庭").locator("option", has_text=f"{OTHER_HOST}（")
    move.get_by_label("移動先の家庭").select_option(option.get_attribute("value"))
    move.get_by_label("移動日（新しい家庭での最初の夜）").fill(tomorrow.isoformat())
    move.get_by_label("理由").fill("部活動の寮に近いため")
    move.get_by_role("button", name="移動する").click()
    expect(page.get_by_text(f"{MOVED}さんは{jp.format_date_ja(tomorrow)}から{OTHER_HOST}です。")).to_be_visible()
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text(f"{OTHER_HOST}へ移動")
    accessible(page)

    # The bed calendar of the month of the move.
    page.get_by_role("navigation", name="越境学生・里親のメニュー").get_by_role("link", name="ベッド表（月）").click()
    if tomorrow.month != TODAY.month:
        page.get_by_role("link", name="次の月").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{tomorrow.year}年{tomorrow.month}月")
    host = page.locator("tbody.family", has=page.get_by_role("link", name=HOST, exact=True))
    other = page.locator("tbody.family", has=page.get_by_role("link", name=OTHER_HOST, exact=True))
    expect(other.get_by_role("link", name=MOVED)).to_be_visible()
    expect(host.get_by_role("link", name=PLACED[1])).to_be_visible()
    expect(host).not_to_contain_text(REFUSED)
    # 港町家 (capacity 1) is full from the night of the move.
    expect(other.locator("tr.free td.full").first).to_have_text("0")
    accessible(page)


# --- journey 3: the manager -------------------------------------------------------------------


def test_3_manager_dashboard_drilldown_and_xlsx(page, live_url):
    assert before, "run the whole file: test_0 records the dashboard before the journeys"
    log_in(page, live_url, "manager")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="指標・集計").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(jp.fiscal_year_label(FY))
    accessible(page)

    expected = {
        STARTUPS: sorted([*before[STARTUPS, "people"], *STARTUP_PEOPLE]),
        STUDENTS: sorted([*before[STUDENTS, "people"], *PLACED]),
    }
    shown = {code: dashboard_value(page, code) for code in expected}
    assert shown[STARTUPS] == before[STARTUPS] + len(STARTUP_PEOPLE)
    assert shown[STUDENTS] == before[STUDENTS] + len(PLACED)

    for code, people in expected.items():
        dashboard_row(page, code).locator("td.big a").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(code)
        expect(page.locator("p.lead strong")).to_contain_text(str(shown[code]))
        assert drilldown_people(page) == people
        if code == STUDENTS:
            assert REFUSED not in page.locator("table.list").inner_text()
        accessible(page)
        page.go_back()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel出力").click()
    download = download_info.value
    assert download.suggested_filename == f"rollup_{FY}.xlsx"
    with open(download.path(), "rb") as file:  # openpyxl wants the bytes (the path has no .xlsx)
        sheet = load_workbook(BytesIO(file.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "指標コード")
    header = rows[header_at]
    month_column = next(i for i, name in enumerate(header) if name and str(name).startswith(MONTH))
    by_code = {row[0]: row for row in rows[header_at + 1:] if row and row[0]}
    for code, value in shown.items():
        assert by_code[code][month_column] == value, code


# --- print ------------------------------------------------------------------------------------


def printed(page) -> tuple[int, str]:
    from pypdf import PdfReader

    page.emulate_media(media="print")
    data = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    reader = PdfReader(BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() or "" for p in reader.pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("path, most_pages", [("/plans/", 2), ("/reports/review", 1)])
def test_4_dashboard_and_review_print_on_a4(page, live_url, path, most_pages):
    log_in(page, live_url, "manager")
    page.goto(live_url + path)
    accessible(page)
    names = page.locator("table.list tbody th[scope=row]").all_inner_texts()
    assert len(names) >= 10
    pages, text = printed(page)
    assert 1 <= pages <= most_pages, pages
    text = flat(text)
    assert "総合計画" in text or "数値目標" in text, "no Japanese text in the PDF: is a Japanese font installed (fonts-ipafont-gothic)?"
    for name in ("創業支援対象者数", "越境学生等の受入支援数", "域外企業との連携件数"):
        assert name in text, name
    if path == "/plans/":
        assert jp.fiscal_year_label(FY) in text
        # The right-most column (the monthly chart's heading) is on paper, not cut off.
        assert "月別推移" in text and "前年度同月" in text
    else:
        assert f"R{FY - 2018}（{FY}）" in text
    # Nothing wider than the paper: laid out at the printable width of A4 landscape (297 mm
    # less 2 × 12 mm margins = 273 mm ≈ 1031 CSS px), every table fits.
    page.set_viewport_size({"width": 1031, "height": 703})
    overflow = page.evaluate("""() => [...document.querySelectorAll('table')]
        .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length""")
    assert overflow == 0
