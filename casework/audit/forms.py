from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from casework.forms import choices

ACTIONS = [
    ("", "すべて"),
    ("create", "作成"),
    ("update", "更新"),
    ("delete", "削除"),
    ("view", "閲覧"),
    ("export", "出力"),
    ("import", "取込"),
    ("login", "ログイン"),
    ("login_failed", "ログイン失敗"),
    ("logout", "ログアウト"),
    ("denied", "アクセス拒否"),
    ("merge", "統合"),
    ("anonymize", "匿名化"),
]


class AuditSearchForm(FlaskForm):
    class Meta:
        csrf = False

    username = StringField(_l("ユーザー名"), validators=[Optional()])
    action = SelectField(_l("操作"), choices=choices(ACTIONS), validators=[Optional()])
    entity = StringField(_l("対象の種類"), validators=[Optional()])
    person_id = IntegerField(_l("対象者ID"), validators=[Optional(), NumberRange(min=1)])
    date_from = DateField(_l("開始日"), validators=[Optional()])
    date_to = DateField(_l("終了日"), validators=[Optional()])
