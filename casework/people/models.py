from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework import jp
from casework.db import Audited, Timestamps, UTCDateTime, Versioned, personal
from casework.extensions import db


class Person(Audited, Versioned, Timestamps, db.Model):
    """Someone the city supports (対象者). Names are stored exactly as typed; searching and
    matching use the folded keys kept beside them."""

    __tablename__ = "people"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    family_name: so.Mapped[str] = so.mapped_column(sa.String(100), info=personal("氏名（姓）"))
    given_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="", info=personal("氏名（名）"))
    family_name_kana: so.Mapped[str] = so.mapped_column(sa.String(100), info=personal("ふりがな（姓）"))
    given_name_kana: so.Mapped[str] = so.mapped_column(sa.String(100), default="", info=personal("ふりがな（名）"))
    birth_date: so.Mapped[date | None] = so.mapped_column(info=personal("生年月日"))
    phone: so.Mapped[str] = so.mapped_column(sa.String(40), default="", info=personal("電話番号"))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), default="", info=personal("メールアドレス"))
    postal_code: so.Mapped[str] = so.mapped_column(sa.String(10), default="", info=personal("郵便番号"))
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="", info=personal("住所"))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("備考（相談内容を含みうる）"))
    # Folded keys (jp.fold): name and furigana without spaces, in one script and width.
    name_key: so.Mapped[str] = so.mapped_column(sa.String(200), index=True, default="", info=personal("氏名の検索用キー"))
    kana_key: so.Mapped[str] = so.mapped_column(sa.String(200), index=True, default="", info=personal("ふりがなの検索用キー"))
    phone_key: so.Mapped[str] = so.mapped_column(sa.String(40), index=True, default="", info=personal("電話番号の検索用キー"))
    # A person merged into another stays, pointing at the survivor, so links and logs resolve.
    merged_into_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("people.id"))
    anonymized_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_people_kana_key_birth_date", "kana_key", "birth_date"),)

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()

    @property
    def full_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()

    def audit_person_id(self) -> int:
        return self.id

    def refresh_keys(self) -> None:
        self.name_key = jp.fold(self.family_name + self.given_name)
        self.kana_key = jp.fold_kana_name(self.family_name_kana, self.given_name_kana)
        self.phone_key = jp.normalize_phone(self.phone)


@sa.event.listens_for(Person, "before_insert")
@sa.event.listens_for(Person, "before_update")
def _keep_keys_in_step(_mapper, _connection, person: Person) -> None:
    person.refresh_keys()
