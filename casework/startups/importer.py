"""Import kind `startup` (interfaces.md): one row per startup case, people matched by
folded furigana and birth date, `ref` makes a re-import update instead of duplicate.

Loaded by the batched loader (casework.imports.batch): startup files are the large ones (a
city's whole history, bench/imports.py), so each chunk of rows is looked up in a few queries
(cases by ref, people by furigana and birth date, earliest logged consultations) and written
in a few executemany statements."""

import sqlalchemy as sa

from casework import jp
from casework.extensions import db
from casework.imports.batch import Chunk
from casework.imports.columns import Column, choice, date_value, kana, text
from casework.imports.framework import CREATED, UNCHANGED, UPDATED, ImportKind, Row, RowError
from casework.people import services as people
from casework.startups.models import STATUS_LABELS, Consultation, StartupCase

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

    chunk_size = 2000

    def prepare_chunk(self, chunk: Chunk) -> None:
        cases = chunk.by_ref(StartupCase, (row.values["ref"] for row in chunk.rows))
        chunk.people.load(((row.values["family_name_kana"], row.values["given_name_kana"],
                           row.values.get("birth_date")) for row in chunk.rows),
                          ids=(case.person_id for case in cases.values()))
        chunk.found["cases"] = cases
        chunk.found["earliest"] = _earliest_consultations([case.id for case in cases.values()])

    def stage_row(self, row: Row, chunk: Chunk) -> tuple[str, str]:
        v = row.values
        first = v["first_consulted_on"]
        issued = v.get("certificate_issued_on")
        if issued is not None and issued < first:
            raise RowError("certificate_issued_on", "証明書の発行日が初回相談日より前です")
        fields = people.PersonFields(
            family_name=v["family_name"], given_name=v["given_name"],
            family_name_kana=v["family_name_kana"], given_name_kana=v["given_name_kana"],
            birth_date=v.get("birth_date"), phone=v.get("phone") or "")
        case = chunk.found["cases"].get(v["ref"])
        if case is None:
            person, person_created, person_changed = chunk.people.find_or_create(fields)
        else:
            # A known ref keeps its person, unless the row now names someone else already known.
            person = chunk.people.same_person(fields.family_name_kana, fields.given_name_kana,
                                              fields.birth_date) or chunk.people.get(case.person_id)
            person_created = False
            person_changed = chunk.people.update(person, fields)

        values = {"person_id": person.as_foreign_key, "first_consulted_on": first,
                  "certificate_issued_on": issued, "founded_on": v.get("founded_on")}
        if "note" in v:
            values["note"] = v["note"]
        if v.get("status"):
            values["status"] = v["status"]
        if case is None:
            case = chunk.create(StartupCase, ref=v["ref"], status=values.pop("status", "consulting"), **values)
            outcome = CREATED
        else:
            # With logged consultations, the earliest one is the first consultation date.
            earliest = chunk.found["earliest"].get(case.id)
            if earliest is not None:
                values["first_consulted_on"] = earliest
            changed = chunk.update(case, values)
            outcome = UPDATED if changed or person_changed else UNCHANGED
        who = "（新しい対象者）" if person_created else ""
        status = STATUS_LABELS[case.status]
        return outcome, f"{v['ref']} {person.full_name}{who} 初回相談 {jp.format_date_ja(first)} {status}"


def _earliest_consultations(case_ids: list[int]) -> dict:
    """startups.services.earliest_consultation for many cases at once: case id → date."""
    if not case_ids:
        return {}
    query = (sa.select(Consultation.case_id, sa.func.min(Consultation.held_on))
             .where(Consultation.case_id.in_(case_ids)).group_by(Consultation.case_id))
    return dict(db.session.execute(query).all())
