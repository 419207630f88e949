# The production-like image: one image for web, worker and beat (compose.yaml runs all three).
# Multi-stage: the build stage compiles what needs compiling; the runtime stage has no compiler
# and runs as an unprivileged user.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml ./
COPY . .
RUN pip install . \
 && python -c "import dev; dev.compile_translations()" \
 && DJANGO_SETTINGS_MODULE=config.settings.dev python manage.py collectstatic --no-input -v 0

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/var/lib/heitje \
    EVIDENCE_DIR=/var/lib/heitje/evidence
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin heitje \
 && mkdir -p /var/lib/heitje/evidence \
 && chown -R heitje /var/lib/heitje
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /src /app
WORKDIR /app
USER heitje
EXPOSE 8000
# Threaded workers with keep-alive (measured against sync ones: docs/performance.md), one database
# connection per thread: connections = workers x threads (docs/operations.md, "Sizing").
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "4", "--keep-alive", "5", "--graceful-timeout", "30", "--access-logfile", "-"]
