"""The environment reader every settings module uses, and the project's root directory.

Only config/settings/ imports this; application code reads ``django.conf.settings``.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env: environ.Env = environ.Env()
# A developer's .env fills in what the shell does not set; real environment
# variables always win. Deployments ship no .env (and may say so explicitly).
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True):
    env.read_env(BASE_DIR / ".env", overwrite=False)
