"""What every page that edits a person's data checks first."""

from flask import flash, redirect, url_for

from casework.people.models import Person

ANONYMIZED_REFUSAL = ("#{id} は保存期間の経過により匿名化されています。匿名化された対象者は"
                      "編集・統合できません。")


def refuse_if_anonymized(*people: Person):
    """A redirect to the person's page with a Japanese message, or None when all may change."""
    for person in people:
        if person.anonymized:
            flash(ANONYMIZED_REFUSAL.format(id=person.id), "error")
            return redirect(url_for("people.show", person_id=person.id))
    return None
