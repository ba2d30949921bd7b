from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField


class UploadForm(FlaskForm):
    file = FileField(_l("CSVファイル"), validators=[FileRequired(_l("ファイルを選んでください。"))],
                     render_kw={"accept": ".csv,text/csv"})
    submit = SubmitField(_l("内容を確認する"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("取り込む"))
