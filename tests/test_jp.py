"""Tests for casework.jp (Japanese specifics); no app needed."""

import re
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.jp import (
    ERAS,
    corporate_number_check_digit,
    fiscal_year_bounds,
    fiscal_year_label,
    fiscal_year_months,
    fiscal_year_of,
    fold,
    fold_kana_name,
    format_date_ja,
    is_kana,
    is_valid_corporate_number,
    month_end,
    normalize_phone,
    parse_date,
    to_wareki,
    to_wareki_short,
)

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

# Dates every era function can express: from the first day of 明治 to date.max.
ERA_DATES = st.dates(min_value=ERAS[0].first_day, max_value=date.max)


def assert_japanese_error(text: str, *fragments: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_date(text)
    message = str(excinfo.value)
    assert JAPANESE.search(message), message
    for fragment in fragments:
        assert fragment in message, message


# --- fiscal years ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (date(2026, 4, 1), 2026),
        (date(2026, 12, 31), 2026),
        (date(2027, 1, 1), 2026),
        (date(2027, 3, 31), 2026),
        (date(2027, 4, 1), 2027),
        (date(2026, 3, 31), 2025),
    ],
)
def test_fiscal_year_of(day, fy):
    assert fiscal_year_of(day) == fy


def test_fiscal_year_bounds():
    assert fiscal_year_bounds(2026) == (date(2026, 4, 1), date(2027, 3, 31))


def test_fiscal_year_months():
    months = fiscal_year_months(2026)
    assert len(months) == 12
    assert months[0] == date(2026, 4, 1)
    assert months[8] == date(2026, 12, 1)
    assert months[9] == date(2027, 1, 1)
    assert months[-1] == date(2027, 3, 1)
    assert all(m.day == 1 for m in months)


@pytest.mark.parametrize(
    ("day", "end"),
    [
        (date(2026, 4, 15), date(2026, 4, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 2, 10), date(2027, 2, 28)),
        (date(2028, 2, 1), date(2028, 2, 29)),  # leap year
        (date(2100, 2, 1), date(2100, 2, 28)),  # century, not a leap year
        (date(9999, 12, 5), date(9999, 12, 31)),
    ],
)
def test_month_end(day, end):
    assert month_end(day) == end


@pytest.mark.parametrize(
    ("fy", "label"),
    [
        (2026, "令和8年度"),
        (2020, "令和2年度"),
        (2019, "令和元年度"),  # 改元 on 2019-05-01: the year is called 令和元年度
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),  # 平成 began in January 1989, still 昭和63年度
    ],
)
def test_fiscal_year_label(fy, label):
    assert fiscal_year_label(fy) == label


# --- eras ------------------------------------------------------------------


def test_eras_table_is_chronological():
    assert [era.name for era in ERAS] == ["明治", "大正", "昭和", "平成", "令和"]
    assert [era.letter for era in ERAS] == ["M", "T", "S", "H", "R"]
    assert [era.first_day for era in ERAS] == sorted(era.first_day for era in ERAS)


@pytest.mark.parametrize(
    ("day", "long", "short"),
    [
        (date(2026, 4, 1), "令和8年4月1日", "R8.4.1"),
        (date(2019, 5, 1), "令和元年5月1日", "R1.5.1"),
        (date(2019, 4, 30), "平成31年4月30日", "H31.4.30"),
        (date(1989, 1, 8), "平成元年1月8日", "H1.1.8"),
        (date(1989, 1, 7), "昭和64年1月7日", "S64.1.7"),
        (date(1926, 12, 25), "昭和元年12月25日", "S1.12.25"),
        (date(1926, 12, 24), "大正15年12月24日", "T15.12.24"),
        (date(1912, 7, 30), "大正元年7月30日", "T1.7.30"),
        (date(1912, 7, 29), "明治45年7月29日", "M45.7.29"),
    ],
)
def test_to_wareki(day, long, short):
    assert to_wareki(day) == long
    assert to_wareki_short(day) == short
    assert parse_date(long) == day
    assert parse_date(short) == day


def test_to_wareki_accepts_datetime():
    assert to_wareki(datetime(2026, 4, 1, 9, 30)) == "令和8年4月1日"


def test_to_wareki_before_meiji_raises_in_japanese():
    with pytest.raises(ValueError, match="明治より前"):
        to_wareki(date(1868, 1, 24))


def test_format_date_ja():
    assert format_date_ja(date(2026, 4, 1)) == "令和8年4月1日（2026-04-01）"
    assert format_date_ja(date(2019, 5, 1)) == "令和元年5月1日（2019-05-01）"
    assert format_date_ja(datetime(2026, 4, 1, 12, 0)) == "令和8年4月1日（2026-04-01）"
    assert format_date_ja(None) == ""
    # Display never fails: no era before 明治, so only the ISO date is shown.
    assert format_date_ja(date(1800, 1, 1)) == "1800-01-01"


# --- parse_date --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-01",
        "2026-4-1",
        "2026/4/1",
        "2026/04/01",
        "2026.4.1",
        "2026年4月1日",
        "R8.4.1",
        "r8.4.1",
        "R8/4/1",
        "R08.04.01",
        "令和8年4月1日",
        "令和8.4.1",
        # full-width digits, letters, separators and spaces (NFKC first)
        "２０２６－０４－０１",
        "２０２６／４／１",
        "Ｒ８．４．１",
        "ｒ８．４．１",
        "令和８年４月１日",
        "  2026-04-01\t",
        "\u30002026/4/1\u3000",
        "令和 8年 4月 1日",
        "㋿8年4月1日",  # the single-character 令和 ligature
    ],
)
def test_parse_date_accepts_every_form(text):
    assert parse_date(text) == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和1年5月1日", date(2019, 5, 1)),
        ("R1.5.1", date(2019, 5, 1)),
        ("R元.5.1", date(2019, 5, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("h31/4/30", date(2019, 4, 30)),
        ("㍻31年4月30日", date(2019, 4, 30)),
        ("S64.1.7", date(1989, 1, 7)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("T15.12.24", date(1926, 12, 24)),
        ("M45.7.29", date(1912, 7, 29)),
        ("2028/2/29", date(2028, 2, 29)),
    ],
)
def test_parse_date_eras_and_gannen(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", [None, "", " ", "\u3000", "\t\n"])
def test_parse_date_blank_is_none(text):
    assert parse_date(text) is None


def test_parse_date_passes_dates_through():
    assert parse_date(date(2026, 4, 1)) == date(2026, 4, 1)
    assert parse_date(datetime(2026, 4, 1, 0, 0)) == date(2026, 4, 1)


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",
        "2027-02-29",
        "2026/13/1",
        "2026-04-31",
        "R8.2.30",
        "令和8年2月30日",
        "0000-01-01",
    ],
)
def test_parse_date_impossible_date(text):
    assert_japanese_error(text, "存在しない日付")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("令和1年4月30日", "令和の始まり"),
        ("R1.4.30", "令和の始まり"),
        ("平成31年5月1日", "平成の終わり"),
        ("H31.5.1", "平成の終わり"),
        ("昭和64年1月8日", "昭和の終わり"),
        ("平成元年1月7日", "平成の始まり"),
        ("大正元年7月29日", "大正の始まり"),
        ("明治元年1月24日", "明治の始まり"),
    ],
)
def test_parse_date_outside_era(text, fragment):
    assert_japanese_error(text, fragment)


@pytest.mark.parametrize("text", ["令和0年4月1日", "R0.4.1", "R00.4.1"])
def test_parse_date_era_year_zero(text):
    assert_japanese_error(text, "1以上")


@pytest.mark.parametrize("text", ["26-04-01", "26/4/1", "202-04-01", "20260-04-01"])
def test_parse_date_gregorian_year_needs_four_digits(text):
    assert_japanese_error(text, "4桁")


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "2026",
        "2026-04",
        "20260401",
        "2026-04/01",  # mixed separators
        "2026-04-01T00:00",
        "X8.4.1",  # unknown era letter
        "令8.4.1",
        "R8",
        "４月１日",
        "٢٠٢٦-٠٤-٠١",  # Arabic-Indic digits are not accepted
        "2026-04-01 12:00",
    ],
)
def test_parse_date_unreadable(text):
    assert_japanese_error(text, "日付として読み取れません")


def test_parse_date_error_quotes_long_input_briefly():
    with pytest.raises(ValueError) as excinfo:
        parse_date("x" * 500)
    assert len(str(excinfo.value)) < 120


# --- folding -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["ﾀﾅｶ", "たなか", "タナカ", "ﾀ ﾅ ｶ", "タ　ナ　カ", " たなか\n"])
def test_fold_tanaka(text):
    assert fold(text) == "たなか"


def test_fold_leaves_kanji():
    assert fold("田中") == "田中"
    assert fold("田中 太郎") == "田中太郎"
    assert fold("留萌市") == "留萌市"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｶﾞｯｺｳ", "がっこう"),
        ("ﾊﾟﾝ", "ぱん"),
        ("ﾎﾞｰﾙ", "ぼーる"),
        ("ヴ", "ゔ"),
        ("ｳﾞｧｲｵﾘﾝ", "ゔぁいおりん"),
        ("ヴァイオリン", "ゔぁいおりん"),
        ("ヵヶ", "ゕゖ"),
        ("カ\u3099", "が"),  # decomposed dakuten composes
        ("ＡＢＣ　ｄｅｆ", "abcdef"),
        ("ABC Corp.", "abccorp."),
        ("ジョン・スミス", "じょんすみす"),
        ("ｼﾞｮﾝ･ｽﾐｽ", "じょんすみす"),
        ("株式会社ルモイ", "株式会社るもい"),
        ("㈱ルモイ", "(株)るもい"),
        ("ㇰㇱ", "ㇰㇱ"),  # Ainu small katakana have no hiragana form
        ("た\u200bなか", "たなか"),  # zero-width space from copy-paste
    ],
)
def test_fold_examples(text, expected):
    assert fold(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ｻｰﾋﾞｽ",
        "サービス",
        "サ－ビス",  # full-width hyphen-minus
        "サ-ビス",
        "サ‐ビス",  # U+2010
        "サ‑ビス",  # U+2011
        "サ–ビス",  # en dash
        "サ—ビス",  # em dash
        "サ―ビス",  # horizontal bar
        "サ−ビス",  # minus sign
        "サ─ビス",  # box drawing
        "サ～ビス",  # full-width tilde
        "サ〜ビス",  # wave dash
        "さーびす",
    ],
)
def test_fold_long_vowel_variants(text):
    assert fold(text) == "さーびす"


def test_fold_none_and_empty():
    assert fold(None) == ""
    assert fold("") == ""
    assert fold(" \u3000") == ""


def test_fold_kana_name():
    key = fold_kana_name("タナカ", "ハナコ")
    assert key == "たなかはなこ"
    assert fold_kana_name("ﾀﾅｶ", "ﾊﾅｺ") == key
    assert fold_kana_name("た な か", "はなこ ") == key
    assert fold_kana_name("タナカ", "ハナ") != key


@pytest.mark.parametrize(
    "text",
    [
        "0164-42-1234",
        "０１６４４２１２３４",
        "(0164) 42-1234",
        "０１６４－４２－１２３４",
        " 0164 42 1234 ",
    ],
)
def test_normalize_phone(text):
    assert normalize_phone(text) == "0164421234"


def test_normalize_phone_empty():
    assert normalize_phone(None) == ""
    assert normalize_phone("") == ""
    assert normalize_phone("なし") == ""


@pytest.mark.parametrize(
    "text",
    [
        "たなか",
        "タナカ",
        "ﾀﾅｶ",
        "タナカ ハナコ",
        "たなか　はなこ",
        "サービス",
        "ｻｰﾋﾞｽ",
        "ジョン・スミス",
        "ヴァイオリン",
        "ㇰㇱ",
    ],
)
def test_is_kana_true(text):
    assert is_kana(text)


@pytest.mark.parametrize(
    "text", ["田中", "たなか太郎", "tanaka", "タナカ1", "", None, "  ", "ー", "・"]
)
def test_is_kana_false(text):
    assert not is_kana(text)


# --- corporate number (法人番号) ---------------------------------------------

# Check digits verified by hand: 9 − (Σ Pn×Qn mod 9), Pn counted from the right
# of the 12 base digits, Qn = 1 for odd n and 2 for even n.
#
# 7000012050002 (国税庁): base 000012050002, from the right 2,0,0,0,5,0,2,1,0,0,0,0
#   sum = 2·1 + 5·1 + 2·1 + 1·2 = 11; 11 mod 9 = 2; 9 − 2 = 7  ✓
# 1180301018771 (トヨタ自動車): base 180301018771, from the right 1,7,7,8,1,0,1,0,3,0,8,1
#   sum = 1 + 14 + 7 + 16 + 1 + 0 + 1 + 0 + 3 + 0 + 8 + 2 = 53; 53 mod 9 = 8; 9 − 8 = 1  ✓
# 2021001052596: base 021001052596, from the right 6,9,5,2,5,0,1,0,0,1,2,0
#   sum = 6 + 18 + 5 + 4 + 5 + 0 + 1 + 0 + 0 + 2 + 2 + 0 = 43; 43 mod 9 = 7; 9 − 7 = 2  ✓
# 2000020012122 (留萌市: local governments are "000020" + 団体コード 012122):
#   from the right 2,2,1,2,1,0,0,2,0,0,0,0
#   sum = 2 + 4 + 1 + 4 + 1 + 0 + 0 + 4 = 16; 16 mod 9 = 7; 9 − 7 = 2  ✓
VALID_CORPORATE_NUMBERS = ["7000012050002", "1180301018771", "2021001052596", "2000020012122"]


@pytest.mark.parametrize("number", VALID_CORPORATE_NUMBERS)
def test_corporate_number_check_digit_matches_hand_computation(number):
    assert corporate_number_check_digit(number[1:]) == int(number[0])
    assert is_valid_corporate_number(number)


def test_corporate_number_check_digit_is_nine_when_sum_divisible_by_nine():
    # Σ = 9 (a 9 in position n=1) → 9 mod 9 = 0 → 9 − 0 = 9, never 0.
    assert corporate_number_check_digit("000000000009") == 9
    assert corporate_number_check_digit("000000000000") == 9


def test_corporate_number_check_digit_rejects_bad_base():
    for base in ["12345678901", "1234567890123", "12345678901a", ""]:
        with pytest.raises(ValueError, match="12桁"):
            corporate_number_check_digit(base)


@pytest.mark.parametrize(
    "text",
    [
        "7-0000-1205-0002",
        "7 0000 1205 0002",
        "７００００１２０５０００２",
        "７－００００－１２０５－０００２",
    ],
)
def test_corporate_number_formatting_is_ignored(text):
    assert is_valid_corporate_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "8000012050002",  # wrong check digit
        "1000012050002",
        "3021001052596",
        "000012050002",  # 12 digits
        "70000120500021",  # 14 digits
        "7000O12050002",  # letter O, not zero
        "700001205000a",
        "",
        None,
    ],
)
def test_corporate_number_invalid(text):
    assert not is_valid_corporate_number(text)


# --- properties --------------------------------------------------------------


@given(st.text())
def test_fold_is_idempotent(text):
    once = fold(text)
    assert fold(once) == once


@given(st.text(alphabet=st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Z"])))
def test_fold_is_idempotent_on_marks_and_letters(text):
    once = fold(text)
    assert fold(once) == once


@given(st.text(alphabet="ｱｶﾞﾊﾟｰ ｧヴカガパーあがぱ－-～　ｶﾞ\u3099\u309a"))
def test_fold_kana_variants_are_idempotent_and_spaceless(text):
    once = fold(text)
    assert fold(once) == once
    assert " " not in once and "\u3000" not in once


@given(ERA_DATES)
def test_wareki_round_trip(d):
    assert parse_date(to_wareki(d)) == d
    assert parse_date(to_wareki_short(d)) == d


@given(st.dates(min_value=date(1000, 1, 1), max_value=date.max))
def test_iso_round_trip(d):
    assert parse_date(d.isoformat()) == d
    assert parse_date(f"{d.year}/{d.month}/{d.day}") == d


@given(st.dates())
def test_fiscal_year_bounds_contain_date(d):
    fy = fiscal_year_of(d)
    if fy + 1 > date.max.year:
        return  # the 年度 of Apr–Dec 9999 would end in year 10000
    first, last = fiscal_year_bounds(fy)
    assert first <= d <= last


@given(st.integers(min_value=1, max_value=9998))
def test_fiscal_year_months_span_the_year(fy):
    first, last = fiscal_year_bounds(fy)
    months = fiscal_year_months(fy)
    assert months[0] == first
    assert month_end(months[-1]) == last
    assert all(fiscal_year_of(m) == fy for m in months)


@given(st.text())
def test_parse_date_only_raises_value_error(text):
    try:
        parse_date(text)
    except ValueError as error:
        assert JAPANESE.search(str(error))


@given(
    st.text(
        alphabet="0123456789０１２３４５６７８９-/.年月日元 　RHSTMrhstm令和平成昭和大正明治",
        max_size=16,
    )
)
def test_parse_date_only_raises_value_error_on_date_like_text(text):
    try:
        result = parse_date(text)
    except ValueError as error:
        assert JAPANESE.search(str(error))
    else:
        assert result is None or isinstance(result, date)
