# The probation-pipeline code location: a gRPC code server the Dagster webserver and daemon load,
# and the image the K8sRunLauncher starts each run in (and k8s_job_executor each step, if chosen).
#
#   docker build -t probation-pipeline:<git sha> .
#
# Under the official Helm chart (deploy/helm/values.yaml) the chart supplies the container's
# arguments (`dagster code-server start -h 0.0.0.0 -p 3030 <codeServerArgs>`), so the image has no
# ENTRYPOINT that would be prepended to them; CMD below is the same server for `docker run`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    PROBATION_DATA_DIR=/opt/probation/data

WORKDIR /opt/probation

# Dependencies first (cached while only the code changes), then the package itself.
COPY pyproject.toml README.md ./
COPY probation_pipeline ./probation_pipeline
RUN pip install '.[deploy,k8s]'

# Reference data ships with the code; raw extracts, warehouse and publication are object-store
# URLs (PROBATION_RAW_URL, PROBATION_WAREHOUSE_URL, PROBATION_PUBLISHED_URL) set by the chart.
COPY data/reference ./data/reference
COPY workspace.yaml ./
# The instance for `docker run`; under the chart its own instance ConfigMap is mounted here.
COPY deploy/dagster.yaml /opt/dagster/dagster_home/dagster.yaml

RUN useradd --create-home --uid 10001 dagster \
    && chown -R dagster /opt/dagster/dagster_home
USER 10001

EXPOSE 3030
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "3030", "--module-name", "probation_pipeline.definitions", "--working-directory", "/opt/probation"]
