from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from casework import jp
from casework.forms import JapaneseDateField, choices
from casework.students.models import (
    CONTACT_KIND_LABELS,
    FAMILY_STATUS_LABELS,
    GENDER_LABELS,
    MEAL_LABELS,
    STUDENT_STATUS_LABELS,
)


def _kana(_form, field):
    if field.data and not jp.is_kana(field.data):
        raise ValidationError(_l("ふりがなはひらがなかカタカナで入力してください。"))


class PersonFieldsMixin:
    person_choice = RadioField(_l("同じ人が既に登録されていませんか"), choices=[], validate_choice=False)
    family_name = StringField(_l("姓"), validators=[DataRequired(), Length(max=100)])
    given_name = StringField(_l("名"), validators=[DataRequired(), Length(max=100)])
    family_name_kana = StringField(_l("せい（ふりがな）"), validators=[DataRequired(), Length(max=100), _kana])
    given_name_kana = StringField(_l("めい（ふりがな）"), validators=[DataRequired(), Length(max=100), _kana])
    birth_date = JapaneseDateField(_l("生年月日"), validators=[Optional()])
    phone = StringField(_l("電話番号"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("メールアドレス"), validators=[Optional(), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("メールアドレスの形が正しくありません。")), Length(max=254)])
    postal_code = StringField(_l("郵便番号"), validators=[Optional(), Length(max=10)])
    address = StringField(_l("住所"), validators=[Optional(), Length(max=300)])


class StudentForm(PersonFieldsMixin, FlaskForm):
    version = HiddenField()
    ref = StringField(_l("学生番号（ref）"), validators=[Optional(), Length(max=40)])
    gender = SelectField(_l("性別"), choices=choices(GENDER_LABELS.items()))
    home_prefecture = StringField(_l("出身の都道府県"), validators=[Optional(), Length(max=20)])
    home_municipality = StringField(_l("出身の市区町村"), validators=[Optional(), Length(max=60)])
    school = StringField(_l("学校"), validators=[Optional(), Length(max=100)])
    grade = StringField(_l("学年"), validators=[Optional(), Length(max=20)])
    expected_graduation_on = JapaneseDateField(_l("卒業予定日"), validators=[Optional()])
    status = SelectField(_l("状態"), choices=choices(STUDENT_STATUS_LABELS.items()))
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=5000)])
    # Needs (sensitive: removed from the form for users without students.sensitive).
    allergens = StringField(_l("アレルギー（読点区切り）"), validators=[Optional(), Length(max=300)])
    medical_notes = TextAreaField(_l("医療上の注意"), validators=[Optional(), Length(max=5000)])
    needs_no_pets = BooleanField(_l("ペットのいない家庭が必要"))
    needs_no_smoking = BooleanField(_l("喫煙者のいない家庭が必要"))
    submit = SubmitField(_l("保存"))


class ContactForm(FlaskForm):
    kind = SelectField(_l("種類"), choices=choices(CONTACT_KIND_LABELS.items()))
    name = StringField(_l("氏名"), validators=[DataRequired(), Length(max=100)])
    relation = StringField(_l("続柄"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("電話番号"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("メールアドレス"), validators=[Optional(), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("メールアドレスの形が正しくありません。")), Length(max=254)])
    address = StringField(_l("住所"), validators=[Optional(), Length(max=300)])
    note = StringField(_l("メモ"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("連絡先を追加"))


class HostFamilyForm(PersonFieldsMixin, FlaskForm):
    version = HiddenField()
    ref = StringField(_l("家庭番号（ref）"), validators=[Optional(), Length(max=40)])
    applied_on = JapaneseDateField(_l("申込日"), validators=[Optional()])
    household_members = TextAreaField(_l("世帯の構成（1行に1人: 続柄・氏名・年齢など）"), validators=[Optional(), Length(max=2000)])
    contacts = TextAreaField(_l("ほかの連絡先"), validators=[Optional(), Length(max=2000)])
    rooms = IntegerField(_l("学生用の部屋数"), validators=[Optional(), NumberRange(min=0, max=50)])
    capacity = IntegerField(_l("定員（人）"), validators=[DataRequired(), NumberRange(min=1, max=50)])
    accepts_boys = BooleanField(_l("男子を受け入れる"))
    accepts_girls = BooleanField(_l("女子を受け入れる"))
    has_pets = BooleanField(_l("ペットがいる"))
    pets_note = StringField(_l("ペットの種類"), validators=[Optional(), Length(max=200)])
    smoking = BooleanField(_l("家に喫煙者がいる"))
    allergies_handled = StringField(_l("対応できるアレルギー（読点区切り）"), validators=[Optional(), Length(max=300)])
    meals = SelectField(_l("食事"), choices=choices(MEAL_LABELS.items()))
    training_on = JapaneseDateField(_l("研修受講日"), validators=[Optional()])
    training_note = StringField(_l("研修の内容"), validators=[Optional(), Length(max=300)])
    renewal_due_on = JapaneseDateField(_l("登録更新期限"), validators=[Optional()])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("保存"))


class StepForm(FlaskForm):
    status = SelectField(_l("次の段階"), choices=choices(FAMILY_STATUS_LABELS.items()))
    done_on = JapaneseDateField(_l("実施日"), validators=[DataRequired()])
    note = StringField(_l("メモ"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("記録"))


class UnavailableForm(FlaskForm):
    starts_on = JapaneseDateField(_l("開始日"), validators=[DataRequired()])
    ends_on = JapaneseDateField(_l("終了日（この夜まで受入不可）"), validators=[DataRequired()])
    reason = StringField(_l("理由（家族旅行、病気など）"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("受入不可期間を追加"))


class PlacementForm(FlaskForm):
    student_id = SelectField(_l("学生"), coerce=int, validate_choice=True, choices=[])
    host_family_id = SelectField(_l("受入家庭"), coerce=int, validate_choice=True, choices=[])
    started_on = JapaneseDateField(_l("開始日（最初の夜）"), validators=[DataRequired()])
    ended_on = JapaneseDateField(_l("最終泊日（空欄は未定）"), validators=[Optional()])
    ref = StringField(_l("配置番号（ref）"), validators=[Optional(), Length(max=40)])
    note = TextAreaField(_l("メモ"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("配置する"))


class EndForm(FlaskForm):
    version = HiddenField()
    ended_on = JapaneseDateField(_l("最終泊日"), validators=[DataRequired()])
    end_reason = StringField(_l("終了の理由"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("終了日を記録"))


class CancelForm(FlaskForm):
    version = HiddenField()
    reason = StringField(_l("取消の理由"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("誤登録として取消"))


class MoveForm(FlaskForm):
    host_family_id = SelectField(_l("移動先の家庭"), coerce=int, validate_choice=True, choices=[])
    first_night = JapaneseDateField(_l("移動日（新しい家庭での最初の夜）"), validators=[DataRequired()])
    ended_on = JapaneseDateField(_l("新しい家庭での最終泊日（空欄は今の予定のまま）"), validators=[Optional()])
    reason = StringField(_l("理由"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("移動する"))


class ListFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("検索（氏名・ふりがな・番号・学校）"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("状態"), validators=[Optional()])
    sort = SelectField(_l("並び順"), validators=[Optional()])


class DateRangeForm(FlaskForm):
    class Meta:
        csrf = False

    start = JapaneseDateField(_l("開始日"), validators=[Optional()])
    end = JapaneseDateField(_l("最終泊日"), validators=[Optional()])
