"""Helpers shared by every form."""

from wtforms.fields import SelectChoice


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
