"""Every order a list offers ends with the listed record's id. Without it, records that tie on
the shown keys (two host families of the same capacity and furigana) come back in any order the
database likes, and on PostgreSQL a record could show on two pages or on none."""

import pytest

from casework.people.models import Person
from casework.people.services import SEARCH_ORDERS
from casework.startups.models import StartupCase
from casework.startups.routes import ORDERINGS
from casework.students.models import HostFamily, Student
from casework.students.routes import FAMILY_SORTS, STUDENT_SORTS

LISTS = {"host families": (FAMILY_SORTS, HostFamily), "students": (STUDENT_SORTS, Student),
         "startup cases": (ORDERINGS, StartupCase), "people": (SEARCH_ORDERS, Person)}


def _column_of(key):
    """The column an ORDER BY key sorts by, whether written plain, .desc() or .asc()."""
    return getattr(key, "element", key)


@pytest.mark.parametrize("name", list(LISTS))
def test_every_list_order_ends_with_the_record_id(name):
    orders, model = LISTS[name]
    for sort, keys in orders.items():
        last = _column_of(keys[-1])
        assert last.compare(model.id.expression) or last.compare(model.id), f"{name}, sort {sort}: ends with {last}"
