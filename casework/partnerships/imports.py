"""`flask --app wsgi import partnerships FILE` and the upload page: columns exactly as
interfaces.md lists them."""

import sqlalchemy as sa

from casework.extensions import db
from casework.imports.columns import Column, choice, date_value, text
from casework.imports.framework import CREATED, UNCHANGED, UPDATED, ImportKind, Row, RowError
from casework.partnerships.models import KIND_LABELS, STATUS_LABELS, Partnership
from casework.partnerships.services import (
    ServiceError,
    date_problems,
    find_or_create_organization,
    normalize_prefecture,
)

KIND_SPELLINGS = {code: code for code in KIND_LABELS} | {label: code for code, label in KIND_LABELS.items()} | {
    "協定": "agreement", "共同研究": "joint_research", "試験研究": "joint_research",
    "進出": "siting", "立地": "siting", "企業誘致": "siting", "人材": "personnel_exchange"}
STATUS_SPELLINGS = {code: code for code in STATUS_LABELS} | {
    label: code for code, label in STATUS_LABELS.items()}


def _prefecture(value: str) -> str:
    return normalize_prefecture(text(10)(value))


class PartnershipsImport(ImportKind):
    name = "partnerships"
    label = "域外企業との連携"
    capability = "partnerships.write"
    columns = (
        Column("ref", True, text(40), "整理番号。同じ ref の行をもう一度取り込むと、その記録を更新します"),
        Column("organization", True, text(200),
               "連携先の名称。全角・半角、ひらがな・カタカナ、空白、㈱/(株)の違いは同じ組織とみなします。"
               "未登録なら作成します（市区町村が留萌市なら市内、それ以外は域外）"),
        Column("organization_prefecture", False, _prefecture, "連携先の都道府県（例: 東京都）"),
        Column("organization_municipality", False, text(100), "連携先の市区町村"),
        Column("kind", False, choice(KIND_SPELLINGS, default="other"),
               "種類: " + "、".join(KIND_LABELS.values()) + "（空欄はその他）"),
        Column("agreed_on", True, date_value, "協定日（2026-04-01、R8.4.1、令和8年4月1日 など）"),
        Column("ended_on", False, date_value, "終了日"),
        Column("status", False, choice(STATUS_SPELLINGS),
               "状態: " + "、".join(STATUS_LABELS.values()) + "（cancelled も可）。"
               "空欄は新規なら締結、既存の記録は今の状態のまま"),
        Column("note", False, text(2000), "メモ"),
    )

    def load_row(self, row: Row) -> tuple[str, str]:
        v = row.values
        try:
            org, org_created = find_or_create_organization(
                v["organization"], v.get("organization_prefecture") or "",
                v.get("organization_municipality") or "")
        except ServiceError as exc:
            raise RowError("organization", exc.message) from None
        record = db.session.scalar(sa.select(Partnership).where(Partnership.ref == v["ref"]))
        status = v.get("status") or (record.status if record is not None else "concluded")
        values = {"organization_id": org.id, "agreed_on": v["agreed_on"], "status": status}
        # An optional column left out of the file leaves what is stored as it is.
        if "kind" in v or record is None:
            values["kind"] = v.get("kind") or "other"
        for name in ("ended_on", "note"):
            if name in v:
                values[name] = v[name] if v[name] is not None else ("" if name == "note" else None)
        ended_on = values.get("ended_on", record.ended_on if record is not None else None)
        for column, reason in date_problems(status, v["agreed_on"], ended_on):
            raise RowError(column, reason)
        if record is None:
            record = Partnership(ref=v["ref"], **values)
            db.session.add(record)
            outcome = CREATED
        else:
            changed = False
            for name, value in values.items():
                if getattr(record, name) != value:
                    setattr(record, name, value)
                    changed = True
            outcome = UPDATED if changed else UNCHANGED
        summary = f"{org.name}（{KIND_LABELS[values.get('kind') or record.kind]}、{STATUS_LABELS[status]}）"
        if org_created:
            summary += f" ※組織「{org.name}」を{org.region_label}として新規登録"
        return outcome, summary
