"""What the service tests of several flows share: passwords and messages, and the links in emails.

A plain module rather than conftest.py, which pytest loads by itself and tests should not import.
"""

import base64
from urllib.parse import parse_qs, urlsplit

from django.core import mail

STRONG_PASSWORD = "plausible-Horse-42"
PASSWORD_TOO_SHORT = "This password is too short. It must contain at least 8 characters."
EMAIL_TAKEN = "User with this Email address already exists."


def links_in(messages: list[mail.EmailMessage], subject: str) -> list[tuple[str, str]]:
    """The (uid, token) of the link in each message; every message must have ``subject``."""
    links = []
    for message in messages:
        assert message.subject == subject
        [url] = [word for word in message.body.split() if word.startswith("https://app.example.com/")]
        query = parse_qs(urlsplit(url).query)
        links.append((query["uid"][0], query["token"][0]))
    return links


def encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Links no email carried: undecodable, naming nobody, or "USER" (the test's account) with a made-up token.
FORGED_LINKS = [
    ("", ""),
    ("!!not-base64!!", "x"),
    (encoded("not-a-uuid"), "x"),
    (encoded("00000000-0000-0000-0000-000000000000"), "x"),
    ("USER", "1-forged"),
]
