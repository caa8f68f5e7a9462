"""ETag and 304 for GET responses that have no version of their own, such as a page of a list.

The ETag is a digest of the rendered bytes (Django's ``set_response_etag``), so it changes with
anything the caller would see: a ticket's fields, a related name, the caller's available actions,
the page's cursors. ``If-None-Match`` is evaluated as RFC 9110 says (a list, ``*``, weak
comparison) by Django's ``get_conditional_response``. Saves the transfer and the client's parsing,
not the server's work: the page is still built to be compared.
"""

from django.utils.cache import get_conditional_response, set_response_etag


def tag_or_not_modified(request, response):
    """Give ``response`` (not yet rendered) an ETag of its bytes; a 304 when the client holds them."""
    django_request = getattr(request, "_request", request)

    def check(rendered):
        if rendered.status_code != 200:
            return None
        set_response_etag(rendered)
        return get_conditional_response(django_request, etag=rendered["ETag"], response=rendered)

    response.add_post_render_callback(check)
    return response
