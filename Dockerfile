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
# FILES_DIR (/srv/hub/files) is the mount point of the `files` volume of docker-compose: it exists in the
# image, owned by hub, so that a new named volume starts writable by the app's user.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home hub && mkdir -p instance files backups && chown hub instance files backups
ENV FILES_DIR=/srv/hub/files
USER hub
EXPOSE 8000
