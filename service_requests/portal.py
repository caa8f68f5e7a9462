"""The catalogue in the portal's front door (tickets.portal): a navigation link, the popular items on
the home page, and its results in the one search box."""

from django.urls import reverse

from service_requests import queries
from tickets import portal


def _search(request, q: str, limit: int) -> list[portal.SearchResult]:
    return [portal.SearchResult(title=item.name, url=reverse("catalogue:order", args=[item.pk]),
                                summary=item.short_description, meta=item.category.name)
            for item in queries.search(request.user, q)[:limit]]


def _popular(request) -> dict | None:
    items = queries.popular_for(request.user)
    return {"items": items, "recent": queries.recently_ordered_by(request.user)} if items else None


def register() -> None:
    portal.register_link(portal.PortalLink("catalogue", "Order something", "catalogue:index", order=10))
    portal.register_section(portal.PortalSection("catalogue", "service_requests/portal/_popular.html", _popular,
                                                 order=20))
    portal.register_search(portal.SearchSource("catalogue", "Order something", _search, order=10))
