"""Small helpers to read typed values from the environment."""

import os
from urllib.parse import parse_qs, unquote, urlparse


def env_bool(name: str, *, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, *, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_email_url(url: str) -> dict:
    """Turn EMAIL_URL into Django email settings.

    console://            print mails (development default)
    locmem://             keep mails in memory (tests)
    file:///var/mail/itsm write one file per mail
    smtp://user:pass@host:587?tls=1   (smtps:// for implicit TLS)
    """
    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        return {"BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": parsed.path}
    if scheme in {"smtp", "smtps"}:
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parsed.hostname or "localhost",
            "EMAIL_PORT": parsed.port or (465 if scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parsed.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
            "EMAIL_USE_TLS": query.get("tls", "0") in {"1", "true"},
            "EMAIL_USE_SSL": scheme == "smtps",
        }
    raise ValueError(f"EMAIL_URL scheme {scheme!r} is not supported (console, locmem, file, smtp, smtps)")


def site_url_setting(value: str, *, base_domain: str, debug: bool) -> str:
    """SITE_URL as ``scheme://host[:port]``: the address people use, which links are built on.

    Unset, it is ``https://<base domain>`` (``http://`` with DEBUG). Its host must be the base
    domain, because tenant hosts are ``<slug>.<base domain>`` on the same scheme and port.
    """
    if not value:
        return f"{'http' if debug else 'https'}://{base_domain}"
    parsed = urlparse(value.strip())
    try:
        port = parsed.port
    except ValueError:
        port = -1
    if parsed.scheme not in {"http", "https"} or not parsed.hostname or port == -1:
        raise ValueError(f"SITE_URL {value!r} must look like https://desk.example.com or http://localhost:8000")
    if parsed.path.strip("/") or parsed.query or parsed.fragment or parsed.username:
        raise ValueError(f"SITE_URL {value!r} must be only a scheme, a host and an optional port")
    if parsed.hostname != base_domain.lower():
        raise ValueError(f"SITE_URL's host {parsed.hostname!r} must be BASE_DOMAIN ({base_domain!r})")
    return f"{parsed.scheme}://{parsed.hostname}{f':{port}' if port else ''}"
