# The hosted demo: slim Python 3.11, the pinned requirements, demo mode on, the app on the host's port.
#   docker build -t torch-playground .
#   docker run -p 8501:8501 -v playground-data:/data torch-playground
# A host that sets PORT (Spaces-style hosts do) gets the app on it.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PLAYGROUND_DEMO=1 \
    PLAYGROUND_RUNS_DIR=/data/runs \
    PLAYGROUND_DATA=/data/datasets \
    PLAYGROUND_MAX_JOBS=2 \
    PLAYGROUND_JOBS_PER_SESSION=1 \
    PORT=8501

WORKDIR /app
# torch's CPU build first (a demo host has no GPU; the default wheel bundles CUDA: several GB more),
# then the rest of the pins, which it already satisfies.
RUN pip install torch==2.14.1 torchvision==0.29.1 --index-url https://download.pytorch.org/whl/cpu
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --create-home playground && mkdir -p /data && chown playground /data
USER playground
VOLUME /data
EXPOSE 8501
# Streamlit's own upload limit at the demo's cap (.streamlit/config.toml's 50 MB is local use's): the uploader's
# limit is the browser's, and a request sent to the upload endpoint by hand was held up to 50 MB (a demo check).
# `exec`: Streamlit is then the container's first process and gets `docker stop`'s SIGTERM (a shell there ignores it,
# and the app was killed 10 s later instead of stopping its jobs: an operator's check).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD ["sh", "-c", "python -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/_stcore/health', timeout=4)\""]
CMD ["sh", "-c", "exec streamlit run app.py --server.port ${PORT} --server.address 0.0.0.0 --server.headless true --browser.gatherUsageStats false --server.fileWatcherType none --server.maxUploadSize ${PLAYGROUND_CAP_UPLOAD_MB:-5}"]
