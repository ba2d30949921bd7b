from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from casework.forms import JapaneseDateField, choices
from casework.plans.models import MEASURE_LABELS, WINDOW_LABELS


class RuleForm(FlaskForm):
    current_rule_id = HiddenField()
    source = SelectField(_l("集計元（記録の種類）"))
    measure = SelectField(_l("数え方"), choices=choices(MEASURE_LABELS.items()))
    window = SelectField(_l("期間"), choices=choices(WINDOW_LABELS.items()))
    window_start = JapaneseDateField(_l("累計の開始日（累計のときのみ。空なら全期間）"), validators=[Optional()])
    reason = TextAreaField(_l("変更の理由"), validators=[DataRequired(_l("変更の理由を入力してください。")), Length(max=2000)])
    preview = SubmitField(_l("変更後の数を確かめる"))
    save = SubmitField(_l("この集計ルールで保存する"))


class TargetForm(FlaskForm):
    version = HiddenField()
    value = StringField(_l("目標値"), validators=[DataRequired(), Length(max=30)])
    submit = SubmitField(_l("目標値を保存"))


class ObservationForm(FlaskForm):
    fiscal_year = IntegerField(_l("年度（西暦の開始年。2026 = 令和8年度）"),
                               validators=[InputRequired(), NumberRange(1900, 2200)])
    month = StringField(_l("月（YYYY-MM。年度の値なら空）"), validators=[Optional(), Length(max=10)],
                        render_kw={"placeholder": "2026-04"})
    value = StringField(_l("値"), validators=[DataRequired(), Length(max=30)])
    source = StringField(_l("出典"), validators=[Optional(), Length(max=200)])
    note = TextAreaField(_l("備考"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("保存"))


class FreezeForm(FlaskForm):
    note = TextAreaField(_l("メモ（報告先・報告日など）"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("この年度の数値を確定する"))


class ObservationUploadForm(FlaskForm):
    file = FileField(_l("CSVファイル"), validators=[FileRequired(_l("ファイルを選んでください。"))],
                     render_kw={"accept": ".csv,text/csv"})
    submit = SubmitField(_l("内容を確認する"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("取り込む"))

