"""403 and 404 pages in the product's look (standalone: they render on any host, signed in or not)."""

from django.shortcuts import render


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "You do not have access to this page."
    return render(request, "errors/403.html", {"message": message}, status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", {"path": request.path}, status=404)
