from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.hybrid import hybrid_property

from casework import jp
from casework.db import Audited, Timestamps, UTCDateTime, Versioned, personal
from casework.extensions import db


def folded_key(length: int) -> sa.types.TypeEngine:
    """A search key column: compared code point by code point on both databases (PostgreSQL:
    COLLATE "C", whatever the server's locale), so "starts with たな" is one index range."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def live_index(name: str, *columns: str) -> sa.Index:
    """An index of the people not merged into someone else (the only ones lists and searches
    show). The search's indexes hold the furigana and id too: a search reads its matches and
    their order from the index alone. merged_into_id (always NULL here) is in it because SQLite
    reads a partial index alone only when it holds the columns of its WHERE."""
    live = sa.text("merged_into_id IS NULL")
    return sa.Index(name, *columns, "merged_into_id", sqlite_where=live, postgresql_where=live)


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
    # Folded keys (jp.fold): name and furigana without spaces, in one script and width. The
    # search matches the start of the full name or furigana, or of the given name alone.
    name_key: so.Mapped[str] = so.mapped_column(folded_key(200), default="", info=personal("氏名の検索用キー"))
    kana_key: so.Mapped[str] = so.mapped_column(folded_key(200), index=True, default="", info=personal("ふりがなの検索用キー"))
    given_name_key: so.Mapped[str] = so.mapped_column(folded_key(100), default="", server_default="",
                                                      info=personal("名の検索用キー"))
    given_kana_key: so.Mapped[str] = so.mapped_column(folded_key(100), default="", server_default="",
                                                      info=personal("ふりがな（名）の検索用キー"))
    phone_key: so.Mapped[str] = so.mapped_column(folded_key(40), default="", info=personal("電話番号の検索用キー"))
    # The digits in reverse order: the end of a number ("42-1234") is a range of this key.
    phone_tail_key: so.Mapped[str] = so.mapped_column(folded_key(40), default="", server_default="",
                                                      info=personal("電話番号（末尾から）の検索用キー"))
    # A person merged into another stays, pointing at the survivor, so links and logs resolve.
    merged_into_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("people.id"))
    anonymized_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_people_kana_key_birth_date", "kana_key", "birth_date"),
        live_index("ix_people_live_kana_key", "kana_key", "id"),
        live_index("ix_people_live_name_key", "name_key", "kana_key", "id"),
        live_index("ix_people_live_given_name_key", "given_name_key", "kana_key", "id"),
        live_index("ix_people_live_given_kana_key", "given_kana_key", "kana_key", "id"),
        live_index("ix_people_live_phone_key", "phone_key", "kana_key", "id"),
        live_index("ix_people_live_phone_tail_key", "phone_tail_key", "kana_key", "id"),
        # The people list's other orders (newest registered, last updated).
        live_index("ix_people_live_created_at", "created_at", "id"),
        live_index("ix_people_live_updated_at", "updated_at", "id"),
    )

    # Hybrids: lists select the name as one column instead of building each Person.
    @hybrid_property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip(" ")

    @full_name.inplace.expression
    @classmethod
    def _full_name_expression(cls) -> sa.ColumnElement[str]:
        return sa.func.trim(cls.family_name + " " + cls.given_name).label("full_name")

    @hybrid_property
    def full_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip(" ")

    @full_kana.inplace.expression
    @classmethod
    def _full_kana_expression(cls) -> sa.ColumnElement[str]:
        return sa.func.trim(cls.family_name_kana + " " + cls.given_name_kana).label("full_kana")

    @property
    def anonymized(self) -> bool:
        return self.anonymized_at is not None

    @property
    def anonymized_on(self) -> date | None:
        """The day (in Japan) the person was anonymized."""
        return self.anonymized_at.astimezone(jp.JST).date() if self.anonymized_at else None

    def audit_person_id(self) -> int:
        return self.id

    def refresh_keys(self) -> None:
        if self.anonymized:
            # The placeholder name must not become searchable or matchable.
            self.name_key = self.kana_key = self.phone_key = ""
            self.given_name_key = self.given_kana_key = self.phone_tail_key = ""
            return
        self.name_key = jp.fold(self.family_name + self.given_name)
        self.kana_key = jp.fold_kana_name(self.family_name_kana, self.given_name_kana)
        self.given_name_key = jp.fold(self.given_name)
        self.given_kana_key = jp.fold(self.given_name_kana)
        self.phone_key = jp.normalize_phone(self.phone)
        self.phone_tail_key = self.phone_key[::-1]


@sa.event.listens_for(Person, "before_insert")
@sa.event.listens_for(Person, "before_update")
def _keep_keys_in_step(_mapper, _connection, person: Person) -> None:
    person.refresh_keys()
