"""Typed links between any two tickets: kinds (declared), services (writes), queries (reads).

Surfaces: ``tickets.links.views`` (the desk's add/remove, the ``tickets/_links.html`` partial) and
``tickets.links.api`` (``.../<number>/links/`` on every ticket type's API viewset).
"""
