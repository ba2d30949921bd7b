"""Column parsers: each takes the cell text and returns a value or raises ValueError with a
Japanese reason (shown as `line N: column: reason`)."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from casework import jp

Parser = Callable[[str], Any]

# Control characters other than tab, CR and LF (every text cell of every row is checked).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    parse: Parser = field(default=lambda text: text)
    help: str = ""


def text(max_length: int = 200) -> Parser:
    def parse(value: str) -> str:
        value = value.strip()
        if len(value) > max_length:
            raise ValueError(f"{max_length}文字以内にしてください（{len(value)}文字あります）")
        if _CONTROL.search(value):
            raise ValueError("制御文字を含んでいます")
        return value

    return parse


def kana(max_length: int = 100) -> Parser:
    plain = text(max_length)

    def parse(value: str) -> str:
        value = plain(value)
        if value and not jp.is_kana(value):
            raise ValueError("ふりがなはひらがなかカタカナで入力してください")
        return value

    return parse


def date_value(value: str):
    return jp.parse_date(value)


def whole_number(minimum: int | None = None, maximum: int | None = None) -> Parser:
    def parse(value: str) -> int | None:
        value = jp.fold(value)
        if not value:
            return None
        if not value.isdigit():
            raise ValueError(f"「{value[:20]}」は整数ではありません")
        number = int(value)
        if minimum is not None and number < minimum:
            raise ValueError(f"{minimum}以上の整数にしてください")
        if maximum is not None and number > maximum:
            raise ValueError(f"{maximum}以下の整数にしてください")
        return number

    return parse


def decimal_value(value: str) -> Decimal | None:
    value = jp.fold(value).replace(",", "").replace("ー", "-")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"「{value[:20]}」は数値ではありません") from None
    if not number.is_finite():
        raise ValueError("数値ではありません")
    return number


def choice(options: dict[str, str], default: str | None = None) -> Parser:
    """Cell text → code. `options` maps every accepted spelling (code, Japanese label) to a code."""
    folded = {jp.fold(k): v for k, v in options.items()}

    def parse(value: str) -> str | None:
        key = jp.fold(value) if value else ""
        if not key:
            return default
        if key not in folded:
            accepted = "、".join(dict.fromkeys(options))
            raise ValueError(f"「{value[:20]}」は使えません（使える値: {accepted}）")
        return folded[key]

    return parse
