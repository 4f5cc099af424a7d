import factory
from django.utils import timezone

from apps.users.models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple"
# A long address with a non-ASCII domain (236 characters; each label the longest whose
# IDNA form still fits DNS's 63): what is keyed or signed by the address, such as cache
# keys and the email-change token, comes out longest with it.
LONG_IDN_EMAIL = "a@" + ".".join(letter * 57 for letter in "äöüä") + ".de"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(DEFAULT_PASSWORD)
    email_verified_at = factory.LazyFunction(timezone.now)
