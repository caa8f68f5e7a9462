# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
# Build: docker build -t itsm .      Run everything: docker compose up
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=itsm.settings \
    MEDIA_ROOT=/app/media

WORKDIR /app

# Dependencies first (pinned by requirements.lock) so code changes reuse this layer.
COPY requirements.lock pyproject.toml README.md ./
RUN pip install -r requirements.lock

COPY . .
# Editable, as `make install` does: the code, templates and static files stay under /app.
RUN pip install --no-deps -e . \
    # Settings refuse to load without a key when DEBUG is off; this one only exists during the build.
    && SECRET_KEY=collectstatic-only-not-a-secret DATABASE_URL=postgresql://build@127.0.0.1/build \
       REDIS_URL=redis://127.0.0.1:6379/0 python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --no-create-home --home-dir /app itsm \
    && mkdir -p /app/media \
    && chown itsm:itsm /app/media

USER itsm
VOLUME ["/app/media"]
EXPOSE 8000

# Same processes as supervisord.conf (what `make run` supervises), with production settings:
#   worker: celery -A itsm worker --loglevel=INFO --concurrency=2 --without-gossip --without-mingle  (DB_POOL=0)
#   beat:   celery -A itsm beat --loglevel=INFO --schedule=/tmp/celerybeat-schedule                  (DB_POOL=0)
CMD ["gunicorn", "-c", "itsm/gunicorn.conf.py", "itsm.wsgi:application"]
