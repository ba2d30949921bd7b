"""Japanese specifics: fiscal years, eras (和暦), date parsing, kana folding, 法人番号.

Everything locale-specific lives here so the rest of the app can stay neutral.
Error messages are Japanese because they are shown to staff as
``line N: column: reason``.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple

__all__ = [
    "ERAS",
    "Era",
    "CP932_EQUIVALENTS",
    "corporate_number_check_digit",
    "describe_char",
    "encode_cp932",
    "fiscal_year_bounds",
    "fiscal_year_label",
    "fiscal_year_months",
    "fiscal_year_of",
    "fold",
    "fold_kana_name",
    "format_date_ja",
    "in_cp932",
    "is_kana",
    "is_valid_corporate_number",
    "month_end",
    "normalize_phone",
    "not_in_cp932",
    "parse_date",
    "to_cp932_form",
    "to_wareki",
    "to_wareki_short",
]

# ---------------------------------------------------------------------------
# Fiscal years (年度: 1 April – 31 March)
# ---------------------------------------------------------------------------

FISCAL_YEAR_START_MONTH = 4


def fiscal_year_of(d: date) -> int:
    """The 年度 containing ``d`` (Jan–Mar belong to the previous year's 年度)."""
    return d.year if d.month >= FISCAL_YEAR_START_MONTH else d.year - 1


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day of 年度 ``fy``: (fy-04-01, (fy+1)-03-31)."""
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def fiscal_year_months(fy: int) -> list[date]:
    """First day of each month of 年度 ``fy``, April to March (12 items)."""
    return [date(fy, month, 1) for month in range(4, 13)] + [
        date(fy + 1, month, 1) for month in range(1, 4)
    ]


def month_end(d: date) -> date:
    """Last day of ``d``'s month."""
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def fiscal_year_label(fy: int) -> str:
    """Label such as 令和8年度 for 2026.

    The 年度 takes the era year of calendar year ``fy`` in the era in force at
    the end of that calendar year, so FY2019 is "令和元年度" (the usage after the
    2019-05-01 改元) while FY1988 stays "昭和63年度".
    """
    era = _era_of(date(fy, 12, 31))
    if era is None:
        raise ValueError(f"{fy}年度は和暦で表せません（明治より前です）")
    return f"{era.name}{_era_year_text(fy - era.first_day.year + 1)}年度"


# ---------------------------------------------------------------------------
# Eras (和暦)
# ---------------------------------------------------------------------------


class Era(NamedTuple):
    name: str  # 令和
    letter: str  # R (as in R8.4.1)
    first_day: date


# Chronological. 明治 starts on its retroactive first day (慶応4年1月1日 in the
# lunar calendar); before 1873 Japan used the lunar calendar, so Gregorian
# dates in 明治1–5 are a convention, not what documents of the time show.
ERAS: tuple[Era, ...] = (
    Era("明治", "M", date(1868, 1, 25)),
    Era("大正", "T", date(1912, 7, 30)),
    Era("昭和", "S", date(1926, 12, 25)),
    Era("平成", "H", date(1989, 1, 8)),
    Era("令和", "R", date(2019, 5, 1)),
)

_ERA_BY_KEY: dict[str, Era] = {era.name: era for era in ERAS} | {era.letter: era for era in ERAS}


def _era_of(d: date) -> Era | None:
    for era in reversed(ERAS):
        if d >= era.first_day:
            return era
    return None


def _era_last_day(era: Era) -> date | None:
    """Last day of ``era``, or None for the current era."""
    index = ERAS.index(era)
    if index + 1 == len(ERAS):
        return None
    return ERAS[index + 1].first_day - timedelta(days=1)


def _era_year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def _require_era(d: date) -> tuple[Era, int]:
    if isinstance(d, datetime):
        d = d.date()  # datetime and date do not compare with each other
    era = _era_of(d)
    if era is None:
        raise ValueError(f"{d.isoformat()}は明治より前のため和暦で表せません")
    return era, d.year - era.first_day.year + 1


def to_wareki(d: date) -> str:
    """令和8年4月1日; the first year is written 元年 (令和元年5月1日)."""
    era, year = _require_era(d)
    return f"{era.name}{_era_year_text(year)}年{d.month}月{d.day}日"


def to_wareki_short(d: date) -> str:
    """R8.4.1; the first year is written 1 (R1.5.1)."""
    era, year = _require_era(d)
    return f"{era.letter}{year}.{d.month}.{d.day}"


def format_date_ja(d: date | None) -> str:
    """令和8年4月1日（2026-04-01） for display; "" for None."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = d.date()
    return _date_ja(d)


@functools.lru_cache(maxsize=8192)
def _date_ja(d: date) -> str:
    # Lists show the same few hundred dates on every page, two or three times a row.
    if _era_of(d) is None:
        # Display must never fail; pre-明治 dates simply have no era part.
        return d.isoformat()
    return f"{to_wareki(d)}（{d.isoformat()}）"


# ---------------------------------------------------------------------------
# Date parsing (user input and CSV imports)
# ---------------------------------------------------------------------------

_DATE_EXAMPLES = "2026-04-01、2026/4/1、令和8年4月1日、R8.4.1"

# [0-9], not \d: \d also matches Arabic-Indic and other digits that NFKC keeps.
_GREGORIAN_RE = re.compile(
    r"(?P<year>[0-9]+)"
    r"(?:(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})"
    r"|年(?P<kmonth>[0-9]{1,2})月(?P<kday>[0-9]{1,2})日)"
)
_WAREKI_RE = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和|[MTSHRmtshr])"
    r"(?P<year>元|[0-9]{1,4})"
    r"(?:(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})"
    r"|年(?P<kmonth>[0-9]{1,2})月(?P<kday>[0-9]{1,2})日)"
)
_WHITESPACE_RE = re.compile(r"\s+")
_MAX_QUOTED = 40


def _quoted(text: str) -> str:
    """The user's input for an error message, cut so one bad cell stays one line."""
    text = text.strip()
    if len(text) > _MAX_QUOTED:
        text = text[:_MAX_QUOTED] + "…"
    return f"「{text}」"


def _month_day(match: re.Match[str]) -> tuple[int, int]:
    month = match["month"] or match["kmonth"]
    day = match["day"] or match["kday"]
    return int(month), int(day)


def _build_date(year: int, month: int, day: int, raw: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{_quoted(raw)}は存在しない日付です") from None


def _parse_gregorian(match: re.Match[str], raw: str) -> date:
    if len(match["year"]) != 4:
        raise ValueError(f"{_quoted(raw)}: 西暦の年は4桁で入力してください")
    month, day = _month_day(match)
    return _build_date(int(match["year"]), month, day, raw)


def _parse_wareki(match: re.Match[str], raw: str) -> date:
    era = _ERA_BY_KEY[match["era"].upper() if match["era"].isascii() else match["era"]]
    year = 1 if match["year"] == "元" else int(match["year"])
    if year < 1:
        raise ValueError(f"{_quoted(raw)}: 和暦の年は1以上（または元年）で入力してください")
    month, day = _month_day(match)
    d = _build_date(era.first_day.year + year - 1, month, day, raw)
    if d < era.first_day:
        raise ValueError(
            f"{_quoted(raw)}は{era.name}の始まり（{_kanji_date(era.first_day)}）より前の日付です"
        )
    last_day = _era_last_day(era)
    if last_day is not None and d > last_day:
        raise ValueError(
            f"{_quoted(raw)}は{era.name}の終わり（{_kanji_date(last_day)}）より後の日付です"
        )
    return d


def _kanji_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def parse_date(text: str | date | None) -> date | None:
    """Parse a date typed by staff or found in a CSV cell.

    Accepts 2026-04-01, 2026/4/1, 2026.4.1, 2026年4月1日, 令和8年4月1日,
    令和元年5月1日, R8.4.1, r8/4/1 (full-width forms too). None or blank gives
    None; anything else unreadable raises ValueError with a Japanese message.
    A ``date``/``datetime`` (as openpyxl returns) is passed through as a date.
    """
    if text is None:
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    # NFKC turns full-width digits/letters into ASCII and ㋿/㍻ into 令和/平成.
    compact = _WHITESPACE_RE.sub("", unicodedata.normalize("NFKC", text))
    if not compact:
        return None
    if match := _GREGORIAN_RE.fullmatch(compact):
        return _parse_gregorian(match, text)
    if match := _WAREKI_RE.fullmatch(compact):
        return _parse_wareki(match, text)
    raise ValueError(f"{_quoted(text)}は日付として読み取れません（例: {_DATE_EXAMPLES}）")


# ---------------------------------------------------------------------------
# Kana and width folding (search keys, person matching)
# ---------------------------------------------------------------------------

LONG_VOWEL = "ー"

# Dashes, minus signs and wave dashes that people type in place of ー (NFKC
# leaves these alone, or maps － to "-" and ～ to "~", so both are listed).
_DASH_LIKE = (
    "-"  # hyphen-minus (also NFKC of － U+FF0D and ﹣ U+FE63)
    "\u2010"  # ‐ hyphen (also NFKC of ‑ U+2011)
    "\u2012"  # ‒ figure dash
    "\u2013"  # – en dash
    "\u2014"  # — em dash
    "\u2015"  # ― horizontal bar
    "\u2043"  # ⁃ hyphen bullet
    "\u2212"  # − minus sign
    "\u2500"  # ─ box drawing horizontal
    "\u2501"  # ━ box drawing heavy horizontal
    "\u30fc"  # ー itself (also NFKC of ｰ U+FF70)
    "~"  # NFKC of ～ U+FF5E
    "\u301c"  # 〜 wave dash
)
_DASH_TO_LONG_VOWEL = str.maketrans(dict.fromkeys(_DASH_LIKE, LONG_VOWEL))

# ァ..ヶ and ヽヾ sit exactly 0x60 above their hiragana; ヷ-ヺ and ㇰ-ㇿ (Ainu
# small kana) have no hiragana form and stay katakana.
_KATAKANA_TO_HIRAGANA = str.maketrans(
    {chr(code): chr(code - 0x60) for code in range(ord("ァ"), ord("ヶ") + 1)}
    | {"ヽ": "ゝ", "ヾ": "ゞ"}
)

# Separators inside names: ・ between given names of foreign residents.
_NAME_SEPARATORS = "\u30fb"  # ・ (also NFKC of ･ U+FF65)


def _is_ignorable(ch: str) -> bool:
    """Whitespace (incl. U+3000), ・ and invisible format chars such as ZWSP/BOM."""
    return ch.isspace() or ch in _NAME_SEPARATORS or unicodedata.category(ch) == "Cf"


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in text if not _is_ignorable(ch))
    # Again, because case folding and removing spaces can leave sequences
    # (e.g. a base letter and a combining mark) that NFKC now composes.
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_KATAKANA_TO_HIRAGANA).translate(_DASH_TO_LONG_VOWEL)


@functools.lru_cache(maxsize=16384)
def fold(text: str | None) -> str:
    """The search/matching key: "ﾀﾅｶ", "タナカ", "た な か" all become "たなか".

    NFKC, case-folded, katakana as hiragana, no whitespace or ・, every dash or
    wave dash as ー; kanji unchanged. Idempotent. Cached: an import of 100,000 rows folds the
    same few thousand family names over and over.
    """
    folded = _fold_once(text or "")
    # One pass is already stable for every single code point and base+mark
    # pair (checked exhaustively); NFKC and case folding are not formally
    # closed under each other, so repeat until stable to guarantee it for keys.
    while (again := _fold_once(folded)) != folded:
        folded = again
    return folded


def fold_kana_name(family_kana: str, given_kana: str) -> str:
    """Folded full kana name: same result + same birth date = same person."""
    return fold(f"{family_kana or ''}{given_kana or ''}")


def normalize_phone(text: str | None) -> str:
    """Digits only, after NFKC: "０１６４-４２-１２３４" → "0164421234"."""
    if not text:
        return ""
    return re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text))


def _is_kana_char(ch: str) -> bool:
    return (
        "\u3041" <= ch <= "\u3096"  # ぁ..ゖ
        or "\u309d" <= ch <= "\u309e"  # ゝゞ
        or "\u30a1" <= ch <= "\u30fa"  # ァ..ヺ
        or "\u30fd" <= ch <= "\u30fe"  # ヽヾ
        or "\u31f0" <= ch <= "\u31ff"  # ㇰ..ㇿ small kana used for Ainu names
        or ch in "\u3099\u309a"  # combining (han)dakuten NFKC cannot compose
    )


def is_kana(text: str | None) -> bool:
    """True when ``text`` is furigana: only hiragana/katakana.

    Whitespace, ・ and the dash/long-vowel family are allowed; blank is False.
    """
    if not text:
        return False
    normalized = unicodedata.normalize("NFKC", text).translate(_DASH_TO_LONG_VOWEL)
    letters = [ch for ch in normalized if not (_is_ignorable(ch) or ch == LONG_VOWEL)]
    return bool(letters) and all(_is_kana_char(ch) for ch in letters)


# ---------------------------------------------------------------------------
# Corporate number (法人番号)
# ---------------------------------------------------------------------------

_CORPORATE_NUMBER_IGNORED = re.compile(r"[\s" + re.escape(_DASH_LIKE) + r"]")


def corporate_number_check_digit(base12: str) -> int:
    """Check digit (1–9) for the 12 digits after it, per the 国税庁 spec.

    9 − (Σ Pn × Qn mod 9), Pn = n-th digit from the right, Qn = 1 (n odd) or 2 (n even).
    """
    digits = unicodedata.normalize("NFKC", base12)
    if not re.fullmatch(r"[0-9]{12}", digits):
        raise ValueError(f"{_quoted(base12)}: 法人番号の基礎番号は12桁の数字です")
    total = sum(
        int(digit) * (1 if n % 2 == 1 else 2) for n, digit in enumerate(reversed(digits), start=1)
    )
    return 9 - total % 9


def is_valid_corporate_number(text: str | None) -> bool:
    """13 digits (hyphens/spaces ignored) whose first digit is the check digit."""
    if not text:
        return False
    digits = _CORPORATE_NUMBER_IGNORED.sub("", unicodedata.normalize("NFKC", text))
    if not re.fullmatch(r"[0-9]{13}", digits):
        return False
    return int(digits[0]) == corporate_number_check_digit(digits[1:])


# --- Japan Standard Time: "today" and timestamps as staff read them -------------------------

JST = timezone(timedelta(hours=9), "JST")


def today() -> date:
    """Today's date in Japan, whatever the server's clock zone."""
    return datetime.now(JST).date()


def format_datetime_jst(moment: datetime | None) -> str:
    """A stored UTC timestamp as staff read it: 2026-04-01 09:30 (JST)."""
    if moment is None:
        return ""
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M")


# --- CP932 (Windows' Shift_JIS) for CSV files -----------------------------------------------

# The same JIS X 0208 character reaches us under two code points: Mac and Linux input methods
# type the JIS mapping (left), Windows' CP932 holds the Microsoft mapping (right). Both are one
# byte pair in the file and one glyph in Excel, so writing the right-hand form loses nothing.
# Python's cp932 codec already maps the first six one way; it refuses EM DASH, and the rule
# should not hang on a codec detail. ¥ (U+00A5) and – (EN DASH) are NOT here: CP932 has no
# character that is the same one (0x5C is a backslash to Windows software), so they are reported.
CP932_EQUIVALENTS = {
    "\u301c": "\uff5e",  # 〜 WAVE DASH → ～ FULLWIDTH TILDE
    "\u2016": "\u2225",  # ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO
    "\u2212": "\uff0d",  # − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS
    "\u00a2": "\uffe0",  # ¢ → ￠
    "\u00a3": "\uffe1",  # £ → ￡
    "\u00ac": "\uffe2",  # ¬ → ￢
    "\u2014": "\u2015",  # — EM DASH → ― HORIZONTAL BAR
}
_TO_CP932_FORM = str.maketrans(CP932_EQUIVALENTS)


def to_cp932_form(text: str) -> str:
    """``text`` with each JIS-mapped character replaced by the CP932 (Microsoft) form."""
    return text.translate(_TO_CP932_FORM)


def encode_cp932(text: str) -> bytes:
    """CP932 bytes, strictly: a character CP932 lacks raises UnicodeEncodeError, never a "?"."""
    return to_cp932_form(text).encode("cp932")


@functools.lru_cache(maxsize=4096)
def in_cp932(ch: str) -> bool:
    """True when CP932 has a code for the character (after ``to_cp932_form``): 髙 and 﨑 (NEC/IBM
    extensions) yes; 𠮷 (U+20BB7), emoji, – EN DASH, ¥ no."""
    try:
        encode_cp932(ch)
    except UnicodeEncodeError:
        return False
    return True


def not_in_cp932(text: str) -> list[str]:
    """The characters of ``text`` CP932 cannot write, each once, in the order they appear."""
    return list(dict.fromkeys(ch for ch in text if not in_cp932(ch)))


def describe_char(ch: str) -> str:
    """A character as staff can find it in their data: 「𠮷」(U+20BB7); an invisible one by its
    Unicode name: （見えない文字 ZERO WIDTH SPACE）(U+200B); a private-use one: （外字）(U+E758)."""
    code = f"U+{ord(ch):04X}"
    category = unicodedata.category(ch)
    kind = category[0]
    if category == "Co":
        return f"（外字）({code})"
    if kind in "CZ":
        name = unicodedata.name(ch, "")
        return f"（見えない文字{' ' + name if name else ''}）({code})"
    if kind == "M":  # a combining mark shows on a dotted circle, as in character tables
        return f"「\u25cc{ch}」({code})"
    return f"「{ch}」({code})"


def format_date_kanji(d: date | None) -> str:
    """2026年4月1日 (Gregorian, no era), as short labels read it; "" for None."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = d.astimezone(JST).date()
    return f"{d.year}年{d.month}月{d.day}日"
