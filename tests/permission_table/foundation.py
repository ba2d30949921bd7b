from tests.permission_table import Route, everyone, only


def _some_user(app):
    from casework.auth.services import create_user
    from casework.extensions import db

    user = create_user("target-user", "counter", "a-long-enough-password")
    db.session.commit()
    return f"/admin/users/{user.id}"


ROUTES = [
    Route("/", "GET", everyone()),
    Route("/login", "GET", everyone(302), anonymous=200),
    Route("/login", "POST", everyone(302), anonymous=200),
    Route("/logout", "GET", everyone(302), anonymous=302),
    Route("/logout", "POST", everyone(302), anonymous=302),
    Route("/healthz", "GET", everyone(200), anonymous=200),
    Route("/account", "GET", everyone()),
    Route("/account", "POST", everyone()),
    Route("/admin/users", "GET", only("admin")),
    Route("/admin/users/new", "GET", only("admin")),
    Route("/admin/users/new", "POST", only("admin")),
    Route("/admin/users/<int:user_id>", "GET", only("admin"), url=_some_user),
    Route("/admin/users/<int:user_id>", "POST", only("admin", status=302), url=_some_user),
    Route("/admin/audit/", "GET", only("admin")),
]

ROUTES += [
    Route("/reauth", "GET", everyone()),
    Route("/reauth", "POST", everyone()),
]

ROUTES += [Route("/admin/personal-data", "GET", only("admin"))]
