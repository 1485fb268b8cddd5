"""The base URL, retry and timeout figures both clients share (README "Retries and timeouts"), from call-actions.yaml
(spec version 1.1.2) and client-facts.yaml, written by tools/client_facts.py when the client is generated: do not
edit."""

DEFAULT_BASE_URL = "https://api.tryvox.io"  # the spec's first server
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_AFTER = 60.0  # seconds
# Retry n (from 0) waits min(BACKOFF_INITIAL × 2ⁿ, BACKOFF_MAX) × (1 − BACKOFF_JITTER × random) seconds.
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0
BACKOFF_JITTER = 0.25
CONNECT_TIMEOUT = 5.0  # seconds
TIMEOUT = 30.0  # seconds: reading, writing, waiting for a pooled connection
