"""The catalogue's icons: a small fixed set, vendored as static SVG files (no icon font, no script)."""

ICONS = {
    "laptop": "Laptop",
    "phone": "Phone",
    "monitor": "Monitor",
    "software": "Software",
    "key": "Access",
    "user": "Person",
    "mail": "Mail",
    "box": "Package",
}
DEFAULT_ICON = "box"


def static_path(icon: str) -> str:
    return f"service_requests/icons/{icon if icon in ICONS else DEFAULT_ICON}.svg"
