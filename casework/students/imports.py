"""Import kinds `host-families` and `placements` (columns exactly as interfaces.md lists them).

Placements are checked by the same rule as the forms (services.check_placement), once every
row of the file is written (check_all): each row is checked against what is stored plus the
other rows of the file, so a capacity problem is reported on every line that shares the full
night, and nothing is written."""

from collections.abc import Iterable

import sqlalchemy as sa

from casework import jp
from casework.extensions import db
from casework.imports.columns import Column, choice, date_value, kana, text, whole_number
from casework.imports.framework import (
    CREATED,
    UNCHANGED,
    UPDATED,
    ImportKind,
    LineError,
    Row,
    RowError,
    upsert_by_ref,
)
from casework.people import services as people
from casework.students import services
from casework.students.models import (
    APPLIED,
    CANCELLED,
    FAMILY_STATUS_LABELS,
    PLACED,
    PLACEMENT_STATUS_LABELS,
    REGISTERED,
    SCREENING_STATUSES,
    HostFamily,
    Placement,
    Student,
)
from casework.students.services import Refused


def _options(labels: dict) -> dict[str, str]:
    options = {code: code for code in labels}
    options.update({str(label): code for code, label in labels.items()})
    return options


NAME_COLUMNS = (
    Column("family_name", True, text(100), "姓"),
    Column("given_name", True, text(100), "名"),
    Column("family_name_kana", True, kana(100), "せい（ふりがな）"),
    Column("given_name_kana", True, kana(100), "めい（ふりがな）"),
)

CHECK = "__check__"  # a key this kind adds to a row's values: the row needs the placement rule


class HostFamilyImport(ImportKind):
    name = "host-families"
    label = "受入家庭（里親・ホストファミリー）"
    capability = "students.write"
    columns = (
        Column("ref", True, text(40), "家庭番号"),
        *NAME_COLUMNS,
        Column("address", False, text(300), "住所"),
        Column("phone", False, text(40), "電話番号"),
        Column("capacity", True, whole_number(minimum=1, maximum=50), "定員（1以上）"),
        Column("registered_on", False, date_value, "登録日。status が空なら「登録」として扱う"),
        Column("status", False, choice(_options(FAMILY_STATUS_LABELS)), "申込・面談・家庭訪問・登録・休止・登録終了・取消"),
        Column("note", False, text(2000), "メモ"),
    )

    def load_row(self, row: Row) -> tuple[str, str]:
        v = row.values
        fields = people.PersonFields(
            family_name=v["family_name"], given_name=v["given_name"], family_name_kana=v["family_name_kana"],
            given_name_kana=v["given_name_kana"], phone=v.get("phone") or "", address=v.get("address") or "")
        registered_on, status = v.get("registered_on"), v.get("status")
        family = db.session.scalar(sa.select(HostFamily).where(HostFamily.ref == v["ref"]))
        try:
            if family is None:
                person, _created = people.find_or_create(fields)
                family = HostFamily(ref=v["ref"], person_id=person.id, capacity=v["capacity"], status=APPLIED,
                                    registered_on=registered_on, note=v.get("note") or "")
                family.person = person
                db.session.add(family)
                db.session.flush()
                target = status or (REGISTERED if registered_on else APPLIED)
                services.set_status(family, target, registered_on or jp.today(), staff_name="CSV取込",
                                    note="CSVから取込", follow_workflow=False)
                return CREATED, f"{v['ref']} {family.name}（定員{family.capacity}人・{family.status_label}）"
            person = family.person
            people.update_person(person, people.keep_spelling(person, fields), keep_empty=True)
            changed = db.session.is_modified(person)
            if registered_on is not None and registered_on != family.registered_on:
                family.registered_on = registered_on
                changed = True
            if v.get("note") and v["note"] != family.note:
                family.note = v["note"]
                changed = True
            if v["capacity"] != family.capacity:
                services.set_capacity(family, v["capacity"])
                changed = True
            target = status or (REGISTERED if registered_on and family.status in SCREENING_STATUSES else family.status)
            if target != family.status:
                services.set_status(family, target, registered_on or jp.today(), staff_name="CSV取込",
                                    note="CSVから取込", follow_workflow=False)
                changed = True
        except Refused as exc:
            raise RowError(exc.column if exc.column in self.column_names else "status", exc.reason) from exc
        summary = f"{v['ref']} {family.name}（定員{family.capacity}人・{family.status_label}）"
        return (UPDATED if changed else UNCHANGED), summary


class PlacementImport(ImportKind):
    name = "placements"
    label = "越境学生の配置"
    capability = "students.write"
    columns = (
        Column("ref", True, text(40), "配置番号"),
        Column("student_ref", True, text(40), "学生番号"),
        *NAME_COLUMNS,
        Column("birth_date", True, date_value, "生年月日"),
        Column("home_prefecture", False, text(20), "出身の都道府県"),
        Column("school", False, text(100), "学校"),
        Column("host_family_ref", True, text(40), "受入家庭の家庭番号（host-families で取込済みのもの）"),
        Column("started_on", True, date_value, "最初の夜"),
        Column("ended_on", False, date_value, "最後の夜（空欄は継続中）"),
        Column("status", False, choice(_options(PLACEMENT_STATUS_LABELS) | {"取消": CANCELLED}), "cancelled（取消）で誤登録"),
        Column("note", False, text(2000), "メモ"),
    )

    def _student(self, v: dict) -> tuple[Student, bool]:
        fields = people.PersonFields(
            family_name=v["family_name"], given_name=v["given_name"], family_name_kana=v["family_name_kana"],
            given_name_kana=v["given_name_kana"], birth_date=v["birth_date"])
        student = db.session.scalar(sa.select(Student).where(Student.ref == v["student_ref"]))
        if student is None:
            person, _created = people.find_or_create(fields)
            student = db.session.scalar(sa.select(Student).where(Student.person_id == person.id))
            if student is not None and student.ref:
                raise RowError("student_ref", f"この人は学生番号「{student.ref}」で登録されています")
            if student is None:
                student = Student(person_id=person.id)
                student.person = person
                db.session.add(student)
            student.ref = v["student_ref"]
        else:
            person = student.person
            if (jp.fold_kana_name(v["family_name_kana"], v["given_name_kana"]) != person.kana_key
                    or (person.birth_date and person.birth_date != v["birth_date"])):
                raise RowError("student_ref", f"学生番号「{v['student_ref']}」は別の人"
                                              f"（{person.full_kana} {jp.format_date_ja(person.birth_date)}）です")
            people.update_person(person, people.keep_spelling(person, fields), keep_empty=True)
        for name in ("home_prefecture", "school"):
            if v.get(name) and getattr(student, name) != v[name]:
                setattr(student, name, v[name])
        changed = student.id is None or db.session.is_modified(student) or db.session.is_modified(student.person)
        db.session.flush()
        return student, changed

    def load_row(self, row: Row) -> tuple[str, str]:
        v = row.values
        if v.get("ended_on") and v["ended_on"] < v["started_on"]:
            raise RowError("ended_on", "最終泊日が開始日より前です")
        family = db.session.scalar(sa.select(HostFamily).where(HostFamily.ref == v["host_family_ref"]))
        if family is None:
            raise RowError("host_family_ref", f"受入家庭「{v['host_family_ref']}」がありません"
                                              "（先に host-families で取り込んでください）")
        student, student_changed = self._student(v)
        values = {"student_id": student.id, "host_family_id": family.id, "started_on": v["started_on"],
                  "ended_on": v.get("ended_on"), "status": v.get("status") or PLACED}
        if v.get("note"):
            values["note"] = v["note"]
        placement = db.session.scalar(sa.select(Placement).where(Placement.ref == v["ref"]))
        rule_changed = placement is None or any(
            getattr(placement, k) != values[k] for k in ("student_id", "host_family_id", "started_on", "ended_on", "status"))
        placement, outcome = upsert_by_ref(Placement, v["ref"], values)
        if outcome == UNCHANGED and student_changed:
            outcome = UPDATED
        # A row that moves or widens a stored placement, or adds one, must pass the rule; an
        # unchanged row of an earlier import is not checked again (importing twice changes nothing).
        v[CHECK] = rule_changed and values["status"] != CANCELLED
        ended = f"〜{v['ended_on'].isoformat()}" if v.get("ended_on") else "〜（継続）"
        return outcome, (f"{v['ref']} {student.person.full_name} → {family.name} "
                         f"{v['started_on'].isoformat()}{ended}")

    def check_all(self, rows: list[Row]) -> Iterable[LineError]:
        checked = [r for r in rows if r.values.get(CHECK)]
        if not checked:
            return []
        placements = {p.ref: p for p in db.session.scalars(
            sa.select(Placement).where(Placement.ref.in_([r.values["ref"] for r in checked])))}
        # Lock every family concerned, then every student, each in id order (services' lock order).
        families = {fid: services.lock_family(fid) for fid in sorted({p.host_family_id for p in placements.values()})}
        students = {sid: services.lock_student(sid) for sid in sorted({p.student_id for p in placements.values()})}
        errors = []
        for row in checked:
            placement = placements[row.values["ref"]]
            try:
                services.check_placement(students[placement.student_id], families[placement.host_family_id],
                                         placement.started_on, placement.ended_on, placement_id=placement.id)
            except Refused as exc:
                column = exc.column if exc.column in self.column_names else "started_on"
                errors.append(LineError(row.line, column, exc.reason))
        return errors
