# The app image for docker-compose.yml: the project installed exactly as `make venv` does,
# then `make demo` (migrate the database, crawl the replica; compose keeps it serving on port 8321).
FROM python:3.11-slim

# make runs the same targets as on a workstation; nothing else is needed: every Python
# dependency ships as a binary wheel (psycopg2-binary, lxml, mini-racer, opencc).
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that editing the code does not reinstall them.
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY src/disclosure_audit/__init__.py ./src/disclosure_audit/__init__.py
RUN python -m venv .venv \
    && .venv/bin/pip install --no-cache-dir -c requirements/constraints.txt -e '.[dev]'

COPY . .
# Mark the venv as up to date for make (its stamp must be newer than pyproject.toml and the pins).
RUN touch .venv/.installed

EXPOSE 8321
CMD ["make", "demo"]
