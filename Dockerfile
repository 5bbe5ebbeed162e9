# Keepwarm's container image: `docker build -t keepwarm .` (docs/deployment.md).
# Two stages: the first installs the hashed runtime lock and the package into a virtualenv,
# the second copies only that venv onto a clean base and runs as an unprivileged user.
# Debian 13 (trixie) under both, so pg_dump (for `keepwarm backup`) is PostgreSQL 17's.
ARG PYTHON_IMAGE=python:3.11-slim-trixie

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/keepwarm
# The lock first: its layer is reused until a pin changes.
COPY requirements.lock /src/
RUN /opt/keepwarm/bin/pip install --require-hashes --only-binary=:all: -r /src/requirements.lock
COPY pyproject.toml README.md LICENSE /src/
COPY keepwarm /src/keepwarm
RUN /opt/keepwarm/bin/pip install --no-deps /src \
    && /opt/keepwarm/bin/python -m compileall -q /opt/keepwarm/lib

FROM ${PYTHON_IMAGE}
# pg_dump for `keepwarm backup` on PostgreSQL; nothing else beyond the base image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 keepwarm \
    && useradd --system --uid 10001 --gid keepwarm --home-dir /data --no-create-home keepwarm \
    && install -d -o keepwarm -g keepwarm -m 0750 /data
COPY --from=build /opt/keepwarm /opt/keepwarm
ENV PATH=/opt/keepwarm/bin:$PATH \
    KEEPWARM_DATA_DIR=/data \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER keepwarm:keepwarm
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# One container, web and worker together (a trial); deploy/compose.yaml runs gunicorn and
# the workers as separate containers instead.
CMD ["keepwarm", "serve", "0.0.0.0:8000"]
