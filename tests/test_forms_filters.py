"""The filter row of a list, drawn by the filter_field macro (templates/_macros/forms.html)
without WTForms' widgets, is exactly what field(f) draws through them: same HTML, same value
kept, same option selected, same escaping."""

import pytest
from flask import render_template_string, request

from casework.forms import choices

ARGS = [
    "",
    "?q=山田&status=moved_in&fy=2020&origin=東京&support=grant&followup=due&sort=name",
    "?q=<b>%22a%22%26'x'</b>&origin=%3Cscript%3E&status=unknown&fy=1999&sort=",
    "?status=&fy=&support=student_family&followup=overdue&sort=household",
]

BOTH = ('{% from "_macros/forms.html" import field, filter_field %}'
        '{% for f in form %}{{ field(f) }}{% endfor %}|{% for f in form %}{{ filter_field(f) }}{% endfor %}')


def _migrants_form():
    from casework.migrants.forms import CaseFilterForm
    from casework.migrants.routes import _fy_choices

    form = CaseFilterForm(request.args)
    form.fy.choices = _fy_choices("すべて")
    return form


def _families_form():
    from casework.students.forms import ListFilterForm
    from casework.students.models import FAMILY_STATUS_LABELS, family_status_label
    from casework.students.routes import FAMILY_SORT_LABELS

    form = ListFilterForm(request.args)
    form.q.label.text = "検索（氏名・ふりがな・番号・住所）"
    form.status.choices = choices([("", "すべて")] + [(c, family_status_label(c)) for c in FAMILY_STATUS_LABELS])
    form.sort.choices = choices(FAMILY_SORT_LABELS.items())
    return form


@pytest.mark.parametrize("make_form", [_migrants_form, _families_form], ids=["migrants", "families"])
@pytest.mark.parametrize("args", ARGS + ["?status=cancelled&sort=renewal&q=%20"])
def test_filter_fields_draw_what_wtforms_draws(app, make_form, args):
    with app.test_request_context("/" + args):
        form = make_form()
        wtforms_html, filter_html = render_template_string(BOTH, form=form).split("|")
        assert filter_html == wtforms_html
        assert filter_html.count('<div class="field">') == len(list(form))


def test_the_chosen_filters_stay_chosen_and_typed_text_is_escaped(app):
    with app.test_request_context("/" + ARGS[1]):
        html = render_template_string(BOTH, form=_migrants_form()).split("|")[1]
    assert '<option selected value="moved_in">転入済</option>' in html
    assert '<option selected value="2020">令和2年度</option>' in html
    assert 'name="q" type="text" value="山田"' in html
    with app.test_request_context("/" + ARGS[2]):
        html = render_template_string(BOTH, form=_migrants_form()).split("|")[1]
    assert 'value="&lt;b&gt;&#34;a&#34;&amp;&#39;x&#39;&lt;/b&gt;"' in html and "selected" not in html


def test_a_filter_with_errors_is_drawn_as_field_draws_it(app):
    with app.test_request_context("/?q=" + "あ" * 101):
        form = _migrants_form()
        assert not form.validate()
        wtforms_html, filter_html = render_template_string(BOTH, form=form).split("|")
        assert filter_html == wtforms_html and 'aria-invalid="true"' in filter_html
