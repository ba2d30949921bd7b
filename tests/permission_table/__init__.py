"""The role × URL table. Each area adds a module here with ROUTES; test_permissions.py checks
every entry for every role and that every route of the app has an entry.

A Route names the rule exactly as in app.url_map, the method, and the status each role gets.
`url` builds the concrete URL (it may create the records it needs); it is called inside an
app context with the app as argument."""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("counter", "coordinator", "manager", "admin")


@dataclass
class Route:
    rule: str
    method: str
    expect: dict[str, int]
    url: str | Callable | None = None
    data: dict = field(default_factory=dict)
    anonymous: int = 302

    def concrete_url(self, app) -> str:
        if callable(self.url):
            return self.url(app)
        return self.url or self.rule

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}"


def only(*roles: str, status: int = 200, others: int = 403) -> dict[str, int]:
    """The listed roles get `status`, the others `others`."""
    return {role: (status if role in roles else others) for role in ROLES}


def everyone(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def all_routes() -> list[Route]:
    routes: list[Route] = []
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        routes.extend(getattr(module, "ROUTES", []))
    return routes
