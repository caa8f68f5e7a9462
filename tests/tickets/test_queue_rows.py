"""tickets.queue_rows: the queue's row values (the page as a whole is pinned by tests/ui/test_queue_reference.py)."""

import pytest
from django.urls import reverse

from tickets import queue_rows, types


@pytest.mark.parametrize("ticket_type", types.all_types(), ids=lambda t: t.slug)
def test_detail_links_are_what_reverse_gives(ticket_type):
    url_of = queue_rows.detail_url_maker(ticket_type)
    for number in (f"{ticket_type.model.NUMBER_PREFIX}0001001", "X9", "A B&C"):
        assert url_of(number) == reverse("desk:detail", kwargs={"type_slug": ticket_type.slug, "number": number})
