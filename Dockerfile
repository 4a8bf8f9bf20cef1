# Production image: the service against an external PostgreSQL (DYADSTUDY_DATABASE_URL is required here;
# the embedded server is for laptops and tests).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/dyadstudy
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY analysis ./analysis
COPY migrations ./migrations
RUN pip install -e . && useradd --system --uid 10001 dyadstudy
USER dyadstudy

ENV DYADSTUDY_ENV=production DYADSTUDY_HOST=0.0.0.0 DYADSTUDY_PORT=8000
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# `serve` refuses to start without a database URL in a container (see app.cli); it migrates, then serves.
CMD ["sh", "-c", ": \"${DYADSTUDY_DATABASE_URL:?set DYADSTUDY_DATABASE_URL}\" && exec dyadstudy serve"]
