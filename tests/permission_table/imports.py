from tests.permission_table import Route, only

IMPORTERS = ("counter", "coordinator")

ROUTES = [
    Route("/imports/", "GET", only(*IMPORTERS)),
    # An unknown kind is a 404 for those who may import at all.
    Route("/imports/<kind_name>", "GET", only(*IMPORTERS, status=404), url="/imports/no-such-kind"),
    Route("/imports/<kind_name>", "POST", only(*IMPORTERS, status=404), url="/imports/no-such-kind"),
    # Someone else's (or a missing) pending upload is a 404, like a missing one.
    Route("/imports/pending/<int:pending_id>", "GET", only(*IMPORTERS, status=404), url="/imports/pending/999999"),
    Route("/imports/pending/<int:pending_id>", "POST", only(*IMPORTERS, status=404), url="/imports/pending/999999"),
]
