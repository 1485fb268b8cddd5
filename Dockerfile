# tryvox-sim, the Call Actions API simulator, as a container for tests in any language (see README).
# `make image` builds the wheels on the host first (build/image/wheels: `pip wheel` of dist/tryvox_sim-*.whl),
# so neither stage needs the network or a compiler. BASE_IMAGE must run Python 3.11, the wheels' interpreter.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS install
LABEL tryvox-sim.stage=install
COPY build/image/wheels/ /wheels/
# A throwaway pip installs into a venv made without one: the venv holds the simulator and its dependencies only.
RUN python3 -m venv /opt/pip \
 && python3 -m venv --without-pip /opt/tryvox-sim \
 && /opt/pip/bin/pip --python /opt/tryvox-sim/bin/python install --no-index --no-cache-dir --find-links /wheels \
      tryvox-sim \
 && /opt/tryvox-sim/bin/tryvox-sim --version

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="tryvox-sim" \
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
