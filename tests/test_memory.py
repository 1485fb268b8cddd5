"""Memory: an ended call is kept as what its retention needs and given back when that passes; freed memory goes
back to the system after large releases (tryvox_sim/trim.py). Bytes are counted with tracemalloc, never timed."""

import ctypes
import gc
import tracemalloc

import orjson
import pytest

from tryvox_sim.sim import trim
from tryvox_sim.sim.clock import Clock
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID as ME
from tryvox_sim.sim.trim import MANY_CALLS, MIN_INTERVAL, Trimmer
from tryvox_sim.sim.webhooks import KEEP, Webhooks
from tryvox_sim.sim.world import World
from tryvox_sim.testing import simulated_api

CALLS = 10_000
BYTES_PER_CALL = 512  # an ended call with one recording takes about 300 (before packing, about 1,300)
MARGIN = 64 * 1024  # what may stay once every call has gone


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_ended_calls_with_recordings_hold_bounded_bytes_and_give_them_all_back():
    with simulated_api() as sim:
        world = sim.app.world
        tracemalloc.start()
        try:
            start = traced()
            for _ in range(CALLS):
                uuid = world.new_call(ME).uuid
                world.start_recording(ME, uuid, format="mp3", max_length=3600, trim_silence=False)
                world.send_dtmf(ME, uuid, "1234#")  # still being sent at the hang-up: let go of then
                world.clock.advance(1)
                world.stop_recording(ME, uuid)
                world.hangup(uuid)
            held = traced() - start
            assert len(world.calls) == CALLS + 1  # every ended call is kept, for its recording's 30 days
            assert held / CALLS < BYTES_PER_CALL, f"{held / CALLS:.0f} bytes per ended call"
            sim.control.advance_clock(31 * 86400)
            left = traced() - start
        finally:
            tracemalloc.stop()
        assert len(world.calls) == 1  # the seeded call, still in progress
        assert left < MARGIN, f"{left:,} bytes stay after the retention"


def test_a_kept_webhook_holds_its_payload_as_json_of_its_own_size():
    world = World(Clock(manual=True))
    call = world.new_call(ME, hangup_url="https://example.com/hangup")
    for _ in range(16):
        world.start_recording(ME, call.uuid, format="mp3", max_length=3600, trim_silence=False)
        world.stop_recording(ME, call.uuid)
    world.hangup(call.uuid)
    [(url, event, payload)] = world.take_outbox()
    sent = orjson.dumps(payload)
    hooks = Webhooks()
    tracemalloc.start()
    try:
        start = traced()
        for _ in range(KEEP):
            hooks.dispatch(url, event, orjson.loads(sent), world.clock.now())  # each hang-up makes its own payload
        per_delivery = (traced() - start) / KEEP
    finally:
        tracemalloc.stop()
    assert per_delivery < len(sent) + 1024, f"{per_delivery:.0f} bytes per delivery of a {len(sent)}-byte payload"
    assert hooks.list()[-1]["payload"] == payload


class FakeTrim:
    def __init__(self) -> None:
        self.calls = 0
        self.now = 1000.0

    def __call__(self) -> None:
        self.calls += 1

    def clock(self) -> float:
        return self.now


def test_the_trimmer_trims_after_many_calls_dropped_or_a_reset_and_at_most_once_a_second():
    fake = FakeTrim()
    trimmer = Trimmer(fake, fake.clock)
    assert not trimmer.after(MANY_CALLS - 1) and fake.calls == 0  # a few calls dropped: not worth a trim
    assert trimmer.after(MANY_CALLS) and fake.calls == 1
    assert not trimmer.after(MANY_CALLS + 5)  # nothing new since
    assert not trimmer.after(0, reset=True) and fake.calls == 1  # owed, but the last trim was just now
    fake.now += MIN_INTERVAL
    assert trimmer.after(0) and fake.calls == 2  # the owed trim, made by the next look (the housekeeping's)
    assert not trimmer.after(0) and trimmer.trims == 2


def test_the_retention_sweep_and_a_reset_give_memory_back(monkeypatch):
    fake = FakeTrim()
    with simulated_api() as sim:
        monkeypatch.setattr(sim.app.trimmer, "trim", fake)
        monkeypatch.setattr(sim.app.trimmer, "clock", fake.clock)
        for _ in range(MANY_CALLS):
            sim.app.world.hangup(sim.app.world.new_call(ME).uuid)
        sim.control.advance_clock(3599)
        assert fake.calls == 0  # nothing dropped yet
        sim.control.advance_clock(1)  # every ended call past its hour: one sweep drops them all
        assert len(sim.app.world.calls) == 1 and fake.calls == 1
        fake.now += MIN_INTERVAL
        sim.control.reset_world()
        assert fake.calls == 2


@pytest.mark.parametrize("missing", ["library", "function"])
def test_without_malloc_trim_nothing_is_trimmed_and_nothing_breaks(monkeypatch, missing):
    class Libc:  # a C library without malloc_trim (musl, macOS)
        pass

    def cdll(name):
        if missing == "library":  # no dlopen(NULL) (Windows)
            raise OSError("no C library")
        return Libc()

    monkeypatch.setattr(ctypes, "CDLL", cdll)
    assert trim.malloc_trim() is None
    with simulated_api() as sim:
        assert sim.app.trimmer.trim is None
        for _ in range(MANY_CALLS):
            sim.app.world.hangup(sim.app.world.new_call(ME).uuid)
        sim.control.advance_clock(2 * 3600)
        sim.control.reset_world()
        assert sim.app.trimmer.trims == 0 and len(sim.app.world.calls) == 1


def test_malloc_trim_is_found_on_glibc():
    if not hasattr(ctypes.CDLL(None), "malloc_trim"):
        pytest.skip("this C library has no malloc_trim (not glibc)")
    trim_now = trim.malloc_trim()
    assert trim_now is not None
    trim_now()  # returns what it gave back; it must simply not fail
