"""Who may do what: roles hold capabilities, views ask for capabilities, never for roles.

The program issues spell the rules out:
- startup, migration and partnership records: counter writes; manager reads.
- students and host families: coordinator writes; manager reads; counter sees nothing.
- the plan and its rollup: manager (and admin) see everything; counter and coordinator see the
  dashboard of their own program's indicators only.
- accounts, API tokens and the audit log: admin.
"""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    COUNTER = "counter"
    COORDINATOR = "coordinator"
    MANAGER = "manager"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.COUNTER: _l("窓口職員"),
    Role.COORDINATOR: _l("コーディネーター"),
    Role.MANAGER: _l("管理職"),
    Role.ADMIN: _l("システム管理者"),
}

# Capability names are "<area>.<verb>".
ROLE_CAPABILITIES: dict[Role, frozenset[str]] = {
    Role.COUNTER: frozenset({
        "people.read", "people.write",
        "startups.read", "startups.write",
        "migrants.read", "migrants.write",
        "partnerships.read", "partnerships.write",
        "imports.run",
        "dashboard.own",
    }),
    Role.COORDINATOR: frozenset({
        "people.read",
        "students.read", "students.write", "students.sensitive",
        # Only the migration cases of a placed student's family (object-level check in migrants).
        "migrants.student_families",
        "imports.run",
        "dashboard.own",
    }),
    Role.MANAGER: frozenset({
        "people.read",
        "startups.read", "migrants.read", "partnerships.read",
        "students.read", "students.sensitive",
        "dashboard.all", "plans.edit", "observations.write", "reports.export",
    }),
    Role.ADMIN: frozenset({
        "admin.users", "admin.audit", "admin.tokens",
        "dashboard.all", "plans.edit", "observations.write", "reports.export",
    }),
}

# The programs a capability set lets a user see; a person is visible to a user who may read
# at least one program the person takes part in.
PROGRAM_READ_CAPABILITY = {
    "startups": "startups.read",
    "migrants": "migrants.read",
    "students": "students.read",
    "partnerships": "partnerships.read",
}


def capabilities_of(role: str) -> frozenset[str]:
    try:
        return ROLE_CAPABILITIES[Role(role)]
    except ValueError:
        return frozenset()


def role_can(role: str, capability: str) -> bool:
    return capability in capabilities_of(role)


def readable_programs(role: str) -> list[str]:
    return [p for p, cap in PROGRAM_READ_CAPABILITY.items() if role_can(role, cap)]
