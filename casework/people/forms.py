from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from casework import jp
from casework.forms import JapaneseDateField, choices
from casework.people.services import PersonFields


def furigana(form, field):
    if field.data and not jp.is_kana(field.data):
        raise ValidationError(_l("ふりがなはひらがなかカタカナで入力してください。"))


def phone_number(form, field):
    if field.data and not 6 <= len(jp.normalize_phone(field.data)) <= 15:
        raise ValidationError(_l("電話番号は数字6〜15桁で入力してください（ハイフンは有っても無くても構いません）。"))


EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("メールアドレスの形式ではありません。"))


class PersonForm(FlaskForm):
    version = HiddenField()
    family_name = StringField(_l("姓"), validators=[DataRequired(_l("姓を入力してください。")), Length(max=100)])
    given_name = StringField(_l("名"), validators=[Optional(), Length(max=100)])
    family_name_kana = StringField(_l("せい（ふりがな）"), validators=[
        DataRequired(_l("ふりがなを入力してください。")), Length(max=100), furigana])
    given_name_kana = StringField(_l("めい（ふりがな）"), validators=[Optional(), Length(max=100), furigana])
    birth_date = JapaneseDateField(_l("生年月日"), validators=[Optional()])
    phone = StringField(_l("電話番号"), validators=[Optional(), Length(max=40), phone_number],
                        render_kw={"type": "tel", "autocomplete": "off"})
    email = StringField(_l("メールアドレス"), validators=[Optional(), Length(max=254), EMAIL],
                        render_kw={"type": "email", "autocomplete": "off"})
    postal_code = StringField(_l("郵便番号"), validators=[Optional(), Length(max=10)])
    address = StringField(_l("住所"), validators=[Optional(), Length(max=300)])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=5000)])
    confirm_new = BooleanField(_l("上の人とは別人なので、新しく登録する"))
    submit = SubmitField(_l("保存"))

    def fields(self) -> PersonFields:
        return PersonFields(
            family_name=self.family_name.data.strip(), given_name=(self.given_name.data or "").strip(),
            family_name_kana=self.family_name_kana.data.strip(),
            given_name_kana=(self.given_name_kana.data or "").strip(),
            birth_date=self.birth_date.data, phone=(self.phone.data or "").strip(),
            email=(self.email.data or "").strip(), postal_code=(self.postal_code.data or "").strip(),
            address=(self.address.data or "").strip(), note=(self.note.data or "").strip())


SORTS = {"kana": _l("ふりがな順"), "new": _l("登録の新しい順"), "updated": _l("更新の新しい順")}


class PeopleSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("氏名・ふりがな・電話番号"), validators=[Optional(), Length(max=100)])
    sort = SelectField(_l("並び順"), choices=choices(SORTS.items()), default="kana",
                       validators=[Optional()])


class MergeForm(FlaskForm):
    other_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("統合する"))
