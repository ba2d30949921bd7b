from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class TokenForm(FlaskForm):
    name = StringField(_l("用途（例: 道の集計システム）"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("トークンを作成"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("取り消す"))
