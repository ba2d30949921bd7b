"""`flask --app wsgi import migration FILE` and the upload page: columns exactly as
shared/docs/interfaces.md lists them."""

import sqlalchemy as sa

from casework.extensions import db
from casework.imports import columns as c
from casework.imports.framework import (
    CREATED,
    UNCHANGED,
    UPDATED,
    ImportKind,
    Row,
    RowError,
    upsert_by_ref,
)
from casework.migrants import services
from casework.migrants.models import STATUS_LABELS, MigrationCase
from casework.people.services import (
    PersonFields,
    find_or_create,
    keep_spelling,
    same_person,
    update_person,
)

STATUS_SPELLINGS = {**{code: code for code in STATUS_LABELS}, **{label: code for code, label in STATUS_LABELS.items()}}
BEFORE_MOVE_IN = ("consulting", "considering", "supporting")


class MigrationImport(ImportKind):
    name = "migration"
    label = "移住受入支援"
    capability = "migrants.write"
    columns = (
        c.Column("ref", True, c.text(40), "事務所の整理番号。同じ ref の行は更新になります"),
        c.Column("family_name", True, c.text(100), "申請者の姓"),
        c.Column("given_name", True, c.text(100), "申請者の名"),
        c.Column("family_name_kana", True, c.kana(100), "姓のふりがな"),
        c.Column("given_name_kana", True, c.kana(100), "名のふりがな"),
        c.Column("birth_date", False, c.date_value, "生年月日。ふりがなと生年月日が同じ人は同一人物として扱います"),
        c.Column("household_size", True, c.whole_number(minimum=1, maximum=99),
                 "世帯人数（申請者を含む、1以上の整数）"),
        c.Column("origin_prefecture", False, c.text(20), "転入前の都道府県"),
        c.Column("origin_municipality", False, c.text(100), "転入前の市区町村"),
        c.Column("moved_in_on", False, c.date_value, "転入日（指標 1-01-05-1 はこの日で数えます）"),
        c.Column("status", False, c.choice(STATUS_SPELLINGS),
                 "状態: " + "、".join(f"{code}（{label}）" for code, label in STATUS_LABELS.items())),
        c.Column("note", False, c.text(2000), "備考"),
    )

    def load_row(self, row: Row) -> tuple[str, str]:
        v = row.values
        fields = PersonFields(
            family_name=v["family_name"], given_name=v["given_name"],
            family_name_kana=v["family_name_kana"], given_name_kana=v["given_name_kana"],
            birth_date=v.get("birth_date"))
        existing = db.session.scalar(sa.select(MigrationCase).where(MigrationCase.ref == v["ref"]))
        if existing is None:
            person, person_created = find_or_create(fields)
        else:
            # A known ref keeps its person, unless the row now names someone else already known.
            person = same_person(fields.family_name_kana, fields.given_name_kana, fields.birth_date) \
                or existing.person
            person_created = False
            update_person(person, keep_spelling(person, fields), keep_empty=True)
        person_changed = person_created or db.session.is_modified(person)
        values = {"person_id": person.id, "household_size": v["household_size"]}
        for name in ("origin_prefecture", "origin_municipality", "moved_in_on", "note"):
            if name in v:
                values[name] = v[name] if v[name] is not None else (None if name == "moved_in_on" else "")
        status = v.get("status")
        if status is None:
            current = existing.status if existing is not None else None
            if values.get("moved_in_on") and current in (None, *BEFORE_MOVE_IN):
                status = "moved_in"
            else:
                status = current or "consulting"
        values["status"] = status
        if existing is not None and v["household_size"] < services.smallest_household(existing):
            raise RowError("household_size", f"この案件には世帯員が{len(existing.members)}人記録されているため、"
                                             f"{services.smallest_household(existing)}以上にしてください")
        case, outcome = upsert_by_ref(MigrationCase, v["ref"], values)
        db.session.flush()
        services.schedule_followups(case)
        if outcome == UNCHANGED and person_changed:
            outcome = UPDATED
        name = f"{v['family_name']} {v['given_name']}"
        words = {CREATED: "新規", UPDATED: "更新", UNCHANGED: "変更なし"}
        return outcome, f"{v['ref']}: {name}（{v['household_size']}人世帯）{words[outcome]}"
