"""What every API view shares, whatever app it is in: JSON bodies and WSGI-clean headers."""

from rest_framework.parsers import JSONParser

from core.api import schema  # noqa: F401  (registers the filter parameters' schema extension)


class ApiViewMixin:
    """Mix into every API view (before DRF's view class).

    - Bodies are JSON only (uploads say otherwise per action): form encodings cannot carry
      null, numbers or nesting, so accepting them would make the same field mean two things.
    - Header values leave as exact ``str``. DRF hands out str subclasses (``Hyperlink``);
      gunicorn passes them, but wsgiref (``runserver``) refuses them with a 500 after the
      write is done. Normalising here keeps any view from doing that again.
    """

    parser_classes = [JSONParser]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in list(response.items()):
            if type(value) is not str:
                response[name] = str(value)
        return response
