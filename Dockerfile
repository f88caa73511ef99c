FROM python:3.11-slim
# UV_COMPILE_BYTECODE: the venv is compiled here, at build. The runtime user cannot write
# /opt/venv or /app, so without it every gunicorn, Celery and beat process would compile
# everything it imports at each start and throw the result away (bench/startup.py).
ENV PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    PATH="/opt/venv/bin:$PATH" DJANGO_SETTINGS_MODULE=config.settings.production
RUN pip install --no-cache-dir uv && useradd --create-home redress
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
# The project's own modules, compiled like the venv's (owned by root: read-only at run time).
RUN python -m compileall -q /app \
    && DJANGO_SECRET_KEY=build DJANGO_ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.db \
    python manage.py collectstatic --noinput \
    && mkdir -p /data/evidence && chown redress /data/evidence
USER redress
EXPOSE 8000
# Threads: a filing waits on PostgreSQL for most of its time, and a thread overlaps those
# waits where a sync worker would sit idle (bench/README.md, filing throughput).
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", \
     "--worker-class", "gthread", "--threads", "8"]
