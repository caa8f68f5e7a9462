"""Settings for the test suite: production settings plus test-only switches.

ITSM_TEST_EAGER=0 turns eager Celery off and EMAIL_URL is then honoured, so an
integration test can run a real worker (and read the mail it sends) on these settings.
"""

import os

os.environ["ITSM_TESTING"] = "1"
os.environ.setdefault("CACHE_KEY_PREFIX", "itsm-test")
os.environ.setdefault("MEDIA_ROOT", "/tmp/itsm-test-media")
# pytest-django holds one connection per test in a rolled-back transaction; servers that tests
# start set DB_POOL=1 themselves, as `make run` does.
os.environ.setdefault("DB_POOL", "0")

from itsm.env import env_bool, parse_email_url  # noqa: E402
from itsm.settings import *  # noqa: E402,F401,F403

# Celery tasks run in-process; tests that need real workers start them explicitly.
CELERY_TASK_ALWAYS_EAGER = env_bool("ITSM_TEST_EAGER", default=True)
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if not CELERY_TASK_ALWAYS_EAGER and os.environ.get("EMAIL_URL"):
    _test_email = parse_email_url(os.environ["EMAIL_URL"])
    EMAIL_BACKEND = _test_email.pop("BACKEND")
    globals().update(_test_email)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
