# A container of the site: gunicorn's web workers and exactly one ETL scheduler
# (`python -m deploy.serve`, what `make serve` runs). Not built in CI: CI tests the same
# processes directly (tests/test_serving.py). Build and run:
#   docker build -t city-dashboard .
#   docker run -p 8050:8050 -v dashboard-data:/var/lib/dashboard city-dashboard
# With several containers, run the scheduler in one only: give the others
#   gunicorn -c deploy/gunicorn_conf.py app:server   as their command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8050 \
    DASHBOARD_DATA_DIR=/var/lib/dashboard

RUN useradd --system --create-home --home-dir /var/lib/dashboard dashboard
WORKDIR /opt/dashboard
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The sample city, so the image serves something on its own; a real city mounts its config at
# /opt/dashboard/config (or sets DASHBOARD_CONFIG_DIR) and its data volume.
RUN python -m etl.sample --if-missing

USER dashboard
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s CMD python -c \
    "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8050/healthz').status != 200)"
CMD ["sh", "-c", "python -m appdb initiatives import data/sample/initiatives.json && python -m etl run --if-no-snapshot; exec python -m deploy.serve"]
