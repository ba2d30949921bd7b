"""Counting rules in words, and who may see which indicator."""

from __future__ import annotations

from datetime import date

from casework import jp
from casework.auth.permissions import PROGRAM_READ_CAPABILITY
from casework.plans.sources import get_source


def _date_ja(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def rule_sentence(source_name: str, measure: str, window: str, window_start: date | None,
                  fiscal_year: int | None = None) -> str:
    """A plain Japanese sentence: 「令和8年度に初回相談があった人数（同一人物は1回）」,
    「2022年4月1日から各月末までに転入があった世帯の人数の累計」."""
    source = get_source(source_name)
    if source is None:
        return f"集計元「{source_name}」はこのシステムにまだありません（数えられません）。"
    word = source.date_word or f"{source.label}の日付"
    event = f"{word[:-1]}があった" if word.endswith("日") and len(word) > 1 else f"{word}がある"
    if window == "annual":
        when = jp.fiscal_year_label(fiscal_year) if fiscal_year else "各年度"
    elif window_start is not None:
        when = f"{_date_ja(window_start)}から各月末まで"
    else:
        when = "記録の始まりから各月末まで"
    subject = source.subject_word or "件"
    total = "の累計" if window == "cumulative" else ""
    if measure == "distinct_subjects":
        what = "人数（同一人物は1回）" if subject == "人" else f"{source.label}の{subject}数（同じものは1回）"
        what += total
    elif measure == "sum_weight":
        unit = f"{subject}の" if subject not in ("件", "") else ""
        what = f"{source.label}の{unit}{source.weight_word or '人数'}" + (total or "の合計")
    else:
        what = f"{source.label}の件数{total}"
    sentence = f"{when}に{event}{what}"
    notes = []
    if window == "annual":
        notes.append("各月の値は4月1日からその月末までの数です")
    if measure == "distinct_subjects":
        if window == "annual":
            notes.append("同じ年度に2件あっても1回、年度ごとに数えます（年度内で最も早い日付の月に数えます）")
        else:
            notes.append("最も早い日付の月に1回だけ数えます")
            if window_start is not None:
                notes.append(f"最も早い日付が{_date_ja(window_start)}より前の対象は数えません")
    notes.append("取消の記録は数えません")
    notes.append("日付のない記録は「まだ数えられない記録」として別に示します")
    return f"{sentence}。" + "。".join(notes) + "。"


def short_sentence(source_name: str, measure: str, window: str, window_start: date | None,
                   fiscal_year: int | None = None) -> str:
    """Only the first sentence (for tables)."""
    return rule_sentence(source_name, measure, window, window_start, fiscal_year).split("。")[0]


def can_see_indicator(user, item) -> bool:
    """Managers and admins see every indicator; counter and coordinator only the case
    indicators of programs they may read (observed ones are not theirs)."""
    if user.can("dashboard.all"):
        return True
    if not user.can("dashboard.own") or item.kind != "cases":
        return False
    source = get_source(item.source) if item.source else None
    if source is None:
        return False
    capability = PROGRAM_READ_CAPABILITY.get(source.program, f"{source.program}.read")
    return user.can(capability)
