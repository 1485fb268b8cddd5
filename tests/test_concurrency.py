"""One lock around state changes: 100 concurrent start-recording requests give one 202 and 99 409s,
in-process (threads through the transport) and against a served instance (real sockets)."""

import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tryvox_sim.testing import served, simulated_api
from tryvox_sim.testing.control_client import ControlClient

N = 100


def test_concurrent_start_recording_in_process():
    with simulated_api() as sim:
        url = sim.path("record")
        headers = {"Authorization": f"Bearer {sim.token}"}
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda _: sim.http.post(url, headers=headers).status_code, range(N)))
        assert Counter(statuses) == {202: 1, 409: N - 1}
        assert len(sim.call()["recordings"]) == 1


def test_concurrent_start_recording_served():
    with served() as env:
        url = f"{env['TVX_BASE_URL']}/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{env['TVX_CALL_UUID']}/record"
        headers = {"Authorization": f"Bearer {env['TVX_API_TOKEN']}"}

        async def hammer():
            limits = httpx.Limits(max_connections=N)
            async with httpx.AsyncClient(timeout=10, limits=limits) as client:
                return await asyncio.gather(*(client.post(url, headers=headers) for _ in range(N)))

        responses = asyncio.run(hammer())
        assert Counter(r.status_code for r in responses) == {202: 1, 409: N - 1}
        codes = Counter(r.json().get("code") for r in responses)
        assert codes["recording_already_running"] == N - 1


def test_unreachable_webhook_is_logged_and_the_simulator_keeps_working():
    with served("--self-check") as env, ControlClient(env["TVX_BASE_URL"]) as control:
        base = env["TVX_BASE_URL"]
        # port 9 on loopback: nothing listens, the connection is refused at once
        call = control.create_call(hangup_url="http://127.0.0.1:9/hangup")
        control.hangup_call(call["call_uuid"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # bounded wait for the background delivery
            [hook] = control.list_webhooks()
            if hook["status"] != "pending":
                break
            time.sleep(0.05)
        assert hook["status"] == "failed" and hook["error"]
        assert control.get_health() == {"status": "ok"}
        dtmf = f"{base}/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{env['TVX_CALL_UUID']}/dtmf"
        response = httpx.post(dtmf, json={"digits": "1"}, headers={"Authorization": f"Bearer {env['TVX_API_TOKEN']}"})
        assert response.status_code == 202
        assert "webhook callHangup to http://127.0.0.1:9/hangup failed" in open(env["log"]).read()


def test_webhooks_reach_loopback_receivers_and_skip_other_hosts():
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            received.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with served() as env, ControlClient(env["TVX_BASE_URL"]) as control:
            local = f"http://127.0.0.1:{receiver.server_port}/hangup"
            for url in (local, "https://example.com/hangup"):
                control.hangup_call(control.create_call(hangup_url=url)["call_uuid"])
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # bounded wait for the background delivery
                hooks = {h["url"]: h for h in control.list_webhooks()}
                if hooks[local]["status"] != "pending":
                    break
                time.sleep(0.05)
            assert hooks[local]["status"] == "delivered" and hooks[local]["response_status"] == 204
            assert hooks["https://example.com/hangup"]["status"] == "skipped"
            assert [path for path, _ in received] == ["/hangup"]
    finally:
        receiver.shutdown()
