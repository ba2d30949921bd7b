"""Helpers shared by every form."""

from wtforms import StringField
from wtforms.fields import SelectChoice
from wtforms.validators import ValidationError

from casework import jp


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]



def stale_version(record, submitted_version) -> bool:
    """True when the form was rendered from an older version of the record than the stored one.

    Two people editing the same record: the second save must not overwrite the first.
    """
    try:
        return int(submitted_version) != record.version
    except (TypeError, ValueError):
        return True


class JapaneseDateField(StringField):
    """A date typed as staff write it: 2026-04-01, 2026/4/1, R8.4.1, 令和8年4月1日.

    Rendered as text (not type=date) because browsers' date pickers refuse 和暦."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": "2026-04-01 / R8.4.1", "inputmode": "text",
                     "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        try:
            self.data = jp.parse_date(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValidationError(str(exc)) from exc
