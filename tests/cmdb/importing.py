"""Helpers for the import tests: build a file, start it, run it (Celery is eager in tests)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from cmdb import imports


def csv_file(text: str, name: str = "cis.csv", *, bom: bool = False, encoding: str = "utf-8"):
    data = text.encode(encoding)
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + data, content_type="text/csv")


def run_csv(by, text: str, *, source: str = "SCCM", capture=None, **kwargs):
    """Start an import of ``text`` and run its task on commit; returns the job, refreshed."""
    upload = csv_file(text, **kwargs)
    with capture(execute=True):
        job = imports.start_import(by=by, source=source, format="", filename=upload.name, fileobj=upload)
    job.refresh_from_db()
    return job
