"""The plan data file for chapter 1-01 matches the plan (see docs/domain.md)."""

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parent.parent / "casework" / "plans" / "data"
CHAPTER_FILE = DATA_DIR / "chapter_1_01.toml"

YEARS = ("2022", "2023", "2024", "2025", "2026")  # R4..R8

# Literal copy of domain.md's table of the eleven indicators (thousands separators removed).
# code, section, name, unit, R2 baseline, (R4, R5, R6, R7, R8), source
EXPECTED_INDICATORS = [
    ("1-01-01-1", "1-01-01", "創業支援対象者数", "件", "3",
     ("2", "2", "2", "2", "2"), "cases"),
    ("1-01-02-1", "1-01-02", "留萌市法人市民税課税法人数", "法人", "634",
     ("668", "666", "664", "662", "660"), "observed"),
    ("1-01-02-2", "1-01-02", "留萌市法人市民税課税額", "百万円", "152.1",
     ("173.0", "172.5", "172.0", "171.5", "171.0"), "observed"),
    ("1-01-02-3", "1-01-02", "留萌商工会議所会員数", "法人", "584",
     ("584", "580", "578", "576", "574"), "observed"),
    ("1-01-03-1", "1-01-03", "月間有効求人倍率", "倍", "1.42",
     ("1.50", "1.50", "1.50", "1.50", "1.50"), "observed"),
    ("1-01-03-2", "1-01-03", "新規学卒者就職率", "％", "100.0",
     ("100.0", "100.0", "100.0", "100.0", "100.0"), "observed"),
    ("1-01-04-1", "1-01-04", "水産加工品生産量", "ｔ", "6025",
     ("6085", "6140", "6195", "6250", "6300"), "observed"),
    ("1-01-04-2", "1-01-04", "市町村特産品リスト「満足いろいろ北海道」登録品数", "品", "33",
     ("35", "35", "35", "35", "35"), "observed"),
    ("1-01-05-1", "1-01-05", "留萌市への移住受入支援数", "人", "0",
     ("10", "15", "20", "25", "30"), "cases"),
    ("1-01-05-2", "1-01-05", "越境学生等の受入支援数", "人", "0",
     ("5", "10", "15", "20", "25"), "cases"),
    ("1-01-06-1", "1-01-06", "域外企業との連携件数", "件", "4",
     ("7", "8", "9", "10", "11"), "cases"),
]

EXPECTED_SECTIONS = [
    ("1-01-01", "創業"),
    ("1-01-02", "中小企業"),
    ("1-01-03", "雇用・労働"),
    ("1-01-04", "水産加工・特産品"),
    ("1-01-05", "移住・定住促進"),
    ("1-01-06", "企業進出と誘致"),
]

# domain.md "Default counting rules for the case indicators"
EXPECTED_RULES = {
    "1-01-01-1": {"source": "startup_cases", "measure": "distinct_subjects",
                  "window": "annual", "window_start": ""},
    "1-01-05-1": {"source": "migration_cases", "measure": "sum_weight",
                  "window": "cumulative", "window_start": "2022-04-01"},
    "1-01-05-2": {"source": "placements", "measure": "distinct_subjects",
                  "window": "cumulative", "window_start": "2022-04-01"},
    "1-01-06-1": {"source": "partnerships", "measure": "count_records",
                  "window": "cumulative", "window_start": ""},
}

EXPECTED_TREND = {
    "1-01-01-1": "flat",
    "1-01-02-1": "falling",
    "1-01-02-2": "falling",
    "1-01-02-3": "falling",
    "1-01-03-1": "flat",
    "1-01-03-2": "flat",
    "1-01-04-1": "rising",
    "1-01-04-2": "flat",
    "1-01-05-1": "rising",
    "1-01-05-2": "rising",
    "1-01-06-1": "rising",
}

TEXT_FIELDS = ("goal", "review", "current_issues", "direction")
PAGE_HEADER = "1-01 地域産業の振興"


@pytest.fixture(scope="module")
def data():
    with CHAPTER_FILE.open("rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def indicators(data):
    return {ind["code"]: ind for ind in data["indicators"]}


def test_schema_and_chapter(data):
    assert data["schema"] == 1
    chapter = data["chapter"]
    assert chapter["code"] == "1-01"
    assert chapter["title"] == "地域産業の振興"
    assert chapter["viewpoints"] == [
        "地域産業が元気で、地域経済が活発なまちにすること",
        "新しい雇用をつくり出し、市民の経済生活が安定したまちにすること",
    ]


def test_sections_in_order(data):
    assert [(s["code"], s["title"]) for s in data["sections"]] == EXPECTED_SECTIONS


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_section_texts_are_clean(data, field):
    for section in data["sections"]:
        bullets = section[field]
        assert isinstance(bullets, list) and bullets, (section["code"], field)
        for bullet in bullets:
            assert isinstance(bullet, str) and bullet.strip() == bullet and bullet
            assert PAGE_HEADER not in bullet, (section["code"], field, bullet)
            assert "\n" not in bullet
            assert not bullet.startswith("●")
            # headings and target tables must not leak into the prose
            for leak in ("数値目標", "数 値 目 標", "指 標 項 目", "前 期 ５ 年 間", "現 状 と 課 題"):
                assert leak not in bullet, (section["code"], field, bullet)


def test_bullets_rejoined_across_pdf_line_breaks(data):
    sections = {s["code"]: s for s in data["sections"]}
    assert sections["1-01-01"]["goal"] == [
        "地域の特色を生かした産業やサービスが生まれ、新規事業が展開されることにより"
        "市内経済の活性化が図られています。"
    ]
    assert len(sections["1-01-03"]["goal"]) == 3
    assert len(sections["1-01-03"]["direction"]) == 4
    assert sections["1-01-02"]["goal"][-1].endswith("持続可能な経済活動が定着してきています。")


def test_indicator_table_matches_domain(data):
    actual = [
        (
            ind["code"],
            ind["section"],
            ind["name"],
            ind["unit"],
            ind["baseline"],
            tuple(ind["targets"][y] for y in YEARS),
            ind["source"],
        )
        for ind in data["indicators"]
    ]
    assert actual == EXPECTED_INDICATORS


def test_indicator_common_fields(data):
    for order, ind in enumerate(data["indicators"], start=1):
        assert ind["order"] == order
        assert ind["baseline_year"] == 2020
        assert sorted(ind["targets"]) == list(YEARS)
        assert ind["direction"] == "higher"
        assert ind["target_trend"] == EXPECTED_TREND[ind["code"]]
        assert ind["code"].startswith(ind["section"] + "-")
        for value in (ind["baseline"], *ind["targets"].values()):
            assert isinstance(value, str) and "," not in value
            Decimal(value)  # parses


def test_target_trend_consistent_with_numbers(indicators):
    for code, ind in indicators.items():
        values = [Decimal(ind["targets"][y]) for y in YEARS]
        pairs = list(zip(values, values[1:], strict=False))
        if ind["target_trend"] == "flat":
            assert all(a == b for a, b in pairs), code
        elif ind["target_trend"] == "falling":
            assert all(a >= b for a, b in pairs) and values[0] > values[-1], code
        else:
            assert ind["target_trend"] == "rising"
            assert all(a <= b for a, b in pairs) and values[0] < values[-1], code


def test_every_indicator_section_exists(data):
    section_codes = {s["code"] for s in data["sections"]}
    for ind in data["indicators"]:
        assert ind["section"] in section_codes, ind["code"]


def test_misplaced_pdf_tables_are_assigned_to_their_own_sections(data):
    by_section = {}
    for ind in data["indicators"]:
        by_section.setdefault(ind["section"], []).append(ind["name"])
    assert by_section["1-01-03"] == ["月間有効求人倍率", "新規学卒者就職率"]
    assert by_section["1-01-05"] == ["留萌市への移住受入支援数", "越境学生等の受入支援数"]
    assert by_section["1-01-04"] == [
        "水産加工品生産量",
        "市町村特産品リスト「満足いろいろ北海道」登録品数",
    ]
    assert by_section["1-01-06"] == ["域外企業との連携件数"]


def test_counting_rules(indicators):
    for code, ind in indicators.items():
        if ind["source"] == "cases":
            assert ind["rule"] == EXPECTED_RULES[code], code
            assert "observed" not in ind, code
        else:
            assert "rule" not in ind, code
    assert {c for c, i in indicators.items() if i["source"] == "cases"} == set(EXPECTED_RULES)


def test_observed_indicators(indicators):
    observed = {c: i for c, i in indicators.items() if i["source"] == "observed"}
    assert len(observed) == 7
    for code, ind in observed.items():
        obs = ind["observed"]
        expected_frequency = "monthly" if code == "1-01-03-1" else "annual"
        assert obs["frequency"] == expected_frequency, code
        assert isinstance(obs["provider"], str) and obs["provider"].strip(), code
    assert observed["1-01-04-2"]["observed"]["provider"] == "北海道"
    assert observed["1-01-02-3"]["observed"]["provider"] == "留萌商工会議所"
