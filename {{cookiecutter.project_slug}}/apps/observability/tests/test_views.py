from django.test import Client

ICO_MAGIC = b"\x00\x00\x01\x00"


def test_healthz_answers_without_touching_the_database(db: None, client: Client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_the_icon_browsers_ask_for_unprompted_is_served_from_the_site_root(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert response.getvalue().startswith(ICO_MAGIC)


def test_healthz_refuses_writes(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


def test_every_response_carries_a_strict_content_security_policy(client: Client) -> None:
    # A page that does not exist: a response every project has, from no view in particular.
    response = client.get("/no-such-page/")
    policy = dict(directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";"))

    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
