# Two images from one build (see README): `--target simulator`, tryvox-sim, the Call Actions API simulator for tests
# in any language; `--target contract`, tryvox-contract, the contract suite as a command, to verify a deployment.
# `make image` builds the wheels on the host first (build/image/wheels: `pip wheel` of dist/*.whl), so no stage needs
# the network or a compiler. BASE_IMAGE must run Python 3.11, the wheels' interpreter.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS install
LABEL tryvox-sim.stage=install
COPY build/image/wheels/ /wheels/
# A throwaway pip installs into venvs made without one: each holds one command and its dependencies only.
RUN python3 -m venv /opt/pip \
 && python3 -m venv --without-pip /opt/tryvox-sim \
 && /opt/pip/bin/pip --python /opt/tryvox-sim/bin/python install --no-index --no-cache-dir --find-links /wheels \
      tryvox-sim \
 && /opt/tryvox-sim/bin/tryvox-sim --version
RUN python3 -m venv --without-pip /opt/tryvox-contract \
 && /opt/pip/bin/pip --python /opt/tryvox-contract/bin/python install --no-index --no-cache-dir --find-links /wheels \
      tryvox-contract \
 && /opt/tryvox-contract/bin/tryvox-contract --version

# The contract suite: `docker run --rm -e TVX_API_TOKEN … tryvox-contract:<version> --base-url https://…`. Its own
# image, not a second entry point of the simulator's: the simulator stays as small as it was for CI services, and
# this one's entry point is the command, as for `pip install`. It carries the simulator too (a run without
# --base-url tests the one it starts).
FROM ${BASE_IMAGE} AS contract
# The version of the package inside (make image passes it; make release-check holds it to the tag).
ARG CONTRACT_VERSION=unknown
LABEL org.opencontainers.image.title="tryvox-contract" \
      org.opencontainers.image.version="${CONTRACT_VERSION}" \
      org.opencontainers.image.description="The tryvox Call Actions API's contract suite: verify a deployment against the spec" \
      org.opencontainers.image.source="https://github.com/tryvox/tryvox-call-actions" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=install /opt/tryvox-contract /opt/tryvox-contract
# Reports go to /work/reports (mount a folder there); any user may write /work (docker run --user "$(id -u)"), and
# Hypothesis keeps its cache in /tmp, whoever runs it.
RUN install -d -m 1777 /work
WORKDIR /work
ENV PATH=/opt/tryvox-contract/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    XDG_CACHE_HOME=/tmp/cache
USER 10001:10001
ENTRYPOINT ["tryvox-contract"]

# The simulator, last: a plain `docker build .` makes it, as before.
FROM ${BASE_IMAGE} AS simulator
ARG SIM_VERSION=unknown
LABEL org.opencontainers.image.title="tryvox-sim" \
      org.opencontainers.image.version="${SIM_VERSION}" \
      org.opencontainers.image.description="Stateful simulator of the tryvox Voice Call Actions API" \
      org.opencontainers.image.source="https://github.com/tryvox/tryvox-call-actions" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=install /opt/tryvox-sim /opt/tryvox-sim
# It listens on all interfaces of the container, but clients reach it through a published port: the
# TVX_BASE_URL it prints is TVX_SIM_PUBLIC_URL, right for `-p 4010:4010`; set it when publishing elsewhere.
ENV PATH=/opt/tryvox-sim/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TVX_SIM_PUBLIC_URL=http://127.0.0.1:4010
USER 10001:10001
EXPOSE 4010
HEALTHCHECK --interval=2s --timeout=2s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4010/_sim/health', timeout=1)"]
ENTRYPOINT ["tryvox-sim"]
CMD ["serve", "--host", "0.0.0.0", "--port", "4010"]
