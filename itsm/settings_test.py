"""Settings for the test suite: production settings plus test-only switches."""

import os

os.environ["ITSM_TESTING"] = "1"
os.environ.setdefault("CACHE_KEY_PREFIX", "itsm-test")
os.environ.setdefault("MEDIA_ROOT", "/tmp/itsm-test-media")

from itsm.settings import *  # noqa: E402,F401,F403

# Celery tasks run in-process; tests that need real workers start them explicitly.
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
