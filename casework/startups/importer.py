"""Import kind `startup` (interfaces.md): one row per startup case, people matched by
folded furigana and birth date, `ref` makes a re-import update instead of duplicate."""

import sqlalchemy as sa

from casework import jp
from casework.extensions import db
from casework.imports.columns import Column, choice, date_value, kana, text
from casework.imports.framework import CREATED, UNCHANGED, UPDATED, ImportKind, Row, RowError
from casework.people import services as people
from casework.startups.models import STATUS_LABELS, StartupCase
from casework.startups.services import earliest_consultation

STATUS_SPELLINGS = {code: code for code in STATUS_LABELS} | {
    label: code for code, label in STATUS_LABELS.items()}


class StartupImport(ImportKind):
    name = "startup"
    label = "創業相談"
    capability = "startups.write"
    columns = (
        Column("ref", True, text(40), "事務所の整理番号。同じ ref をもう一度取り込むと更新します"),
        Column("family_name", True, text(100), "姓"),
        Column("given_name", True, text(100), "名"),
        Column("family_name_kana", True, kana(100), "せい（ひらがな・カタカナ、半角も可）"),
        Column("given_name_kana", True, kana(100), "めい（ひらがな・カタカナ、半角も可）"),
        Column("birth_date", False, date_value, "生年月日。ふりがなと生年月日が同じ人は同一人物として扱います"),
        Column("phone", False, text(40), "電話番号"),
        Column("first_consulted_on", True, date_value, "初回相談日（集計の基準日）"),
        Column("certificate_issued_on", False, date_value, "特定創業支援等事業の証明書の発行日"),
        Column("founded_on", False, date_value, "創業日"),
        Column("status", False, choice(STATUS_SPELLINGS),
               "相談中・支援中・支援完了・創業済・中断・取消（cancelled）。空なら新規は相談中、既存は変更なし"),
        Column("note", False, text(2000), "備考"),
    )

    def load_row(self, row: Row) -> tuple[str, str]:
        v = row.values
        first = v["first_consulted_on"]
        issued = v.get("certificate_issued_on")
        if issued is not None and issued < first:
            raise RowError("certificate_issued_on", "証明書の発行日が初回相談日より前です")
        fields = people.PersonFields(
            family_name=v["family_name"], given_name=v["given_name"],
            family_name_kana=v["family_name_kana"], given_name_kana=v["given_name_kana"],
            birth_date=v.get("birth_date"), phone=v.get("phone") or "")
        case = db.session.scalar(sa.select(StartupCase).where(StartupCase.ref == v["ref"]))
        if case is None:
            person, person_created = people.find_or_create(fields)
        else:
            # A known ref keeps its person, unless the row now names someone else already known.
            person = people.same_person(fields.family_name_kana, fields.given_name_kana,
                                        fields.birth_date) or case.person
            person_created = False
            people.update_person(person, people.keep_spelling(person, fields), keep_empty=True)
        person_changed = person_created or db.session.is_modified(person)

        values = {"person_id": person.id, "first_consulted_on": first,
                  "certificate_issued_on": issued, "founded_on": v.get("founded_on")}
        if "note" in v:
            values["note"] = v["note"]
        if v.get("status"):
            values["status"] = v["status"]
        if case is None:
            case = StartupCase(ref=v["ref"], person=person, status=values.pop("status", "consulting"),
                               **values)
            db.session.add(case)
            outcome = CREATED
        else:
            # With logged consultations, the earliest one is the first consultation date.
            earliest = earliest_consultation(case)
            if earliest is not None:
                values["first_consulted_on"] = earliest
            changed = False
            for name, value in values.items():
                if getattr(case, name) != value:
                    setattr(case, name, value)
                    changed = True
            outcome = UPDATED if changed or person_changed else UNCHANGED
        who = "（新しい対象者）" if person_created else ""
        status = STATUS_LABELS[case.status]
        return outcome, f"{v['ref']} {person.full_name}{who} 初回相談 {jp.format_date_ja(first)} {status}"
