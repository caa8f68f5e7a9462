"""What the floors above the ticket core add to the self-service portal, without the core importing them.

The portal is the requester's one front door; the catalogue (service requests), approvals and,
later, knowledge each contribute from their ``AppConfig.ready()``:

- ``register_link(PortalLink(...))``: an entry in the portal's main navigation ("Request something",
  "Approvals" with a count of what waits for the viewer);
- ``register_section(PortalSection(...))``: a card on the portal home page (popular catalogue items,
  approvals waiting for the viewer), rendered from the section's template with its context;
- ``register_search(SearchSource(...))``: results for the one search box on the home page
  (``/portal/search/?q=``), each source searching what the viewer may see of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PortalLink:
    key: str  # the page's ``nav`` value, which marks the link as the current page
    label: str
    url_name: str
    # Below 100: before "Report an issue" and "My tickets"; from 100: after them.
    order: int = 100
    # (user) -> int: a number shown beside the label (what waits for the viewer); 0 shows none.
    count: Callable | None = None
    # (user) -> bool: whether the viewer sees the link at all.
    visible: Callable | None = None


@dataclass(frozen=True)
class PortalSection:
    key: str
    template: str
    # (request) -> dict for the template, or None when the section has nothing to show.
    context: Callable
    order: int = 100


@dataclass(frozen=True)
class SearchResult:
    title: str
    url: str
    summary: str = ""
    meta: str = ""  # a short line under the title ("Hardware · 3 days")


@dataclass(frozen=True)
class SearchSource:
    key: str
    label: str  # the heading of its results ("Request something", "Articles")
    # (request, q, limit) -> list[SearchResult], only what the viewer may see or order.
    search: Callable
    order: int = 100


_LINKS: dict[str, PortalLink] = {}
_SECTIONS: dict[str, PortalSection] = {}
_SEARCH: dict[str, SearchSource] = {}


def register_link(link: PortalLink) -> None:
    _LINKS[link.key] = link


def register_section(section: PortalSection) -> None:
    _SECTIONS[section.key] = section


def register_search(source: SearchSource) -> None:
    _SEARCH[source.key] = source


def unregister(key: str) -> None:
    for registry in (_LINKS, _SECTIONS, _SEARCH):
        registry.pop(key, None)


def links_for(user) -> list[tuple[PortalLink, int]]:
    """The contributed navigation links the viewer sees, in order, each with its count."""
    shown = [link for link in _LINKS.values() if link.visible is None or link.visible(user)]
    return [(link, link.count(user) if link.count else 0) for link in sorted(shown, key=lambda l: (l.order, l.key))]


def sections_for(request) -> list[str]:
    """The HTML of each contributed home section that has something to show, in order."""
    from django.template.loader import render_to_string

    out = []
    for section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        context = section.context(request)
        if context is not None:
            out.append(render_to_string(section.template, context, request=request))
    return out


def search_sources() -> list[SearchSource]:
    return sorted(_SEARCH.values(), key=lambda s: (s.order, s.key))


def search(request, q: str, *, limit: int = 10) -> list[tuple[SearchSource, list[SearchResult]]]:
    """Every source's results for ``q``; sources with none are left out."""
    q = " ".join(q.split())[:200]
    if not q:
        return []
    return [(source, results) for source in search_sources() if (results := source.search(request, q, limit))]
