FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/hub
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md LICENSE ./
COPY app ./app
COPY matching ./matching
COPY payments ./payments
COPY search ./search
COPY migrations ./migrations
COPY data ./data
COPY wsgi.py babel.cfg ./
RUN pip install -e . && pybabel compile -d app/translations
RUN useradd --create-home hub && mkdir -p instance && chown hub instance
USER hub
EXPOSE 8000
