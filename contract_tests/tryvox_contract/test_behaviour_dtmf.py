"""Notes, DTMF: valid digits 0-9 * #; each digit 200 ms with 200 ms gaps (n digits: 400n-200 ms)."""

import pytest

from tryvox_contract.actions import dtmf, events_of, expect, when


@pytest.mark.parametrize("digits", ["0123456789", "*", "#", "1234*#"])
def test_valid_digits_are_sent_and_echoed(api, auth_id, call_uuid, digits):
    sent = expect(dtmf(api, auth_id, call_uuid, digits), 202)
    assert (sent.status, sent.digits) == ("sent", digits)


@pytest.mark.parametrize("digits", ["12A4", "1 2", "", "+1", "w"])
def test_other_characters_are_refused(api, auth_id, call_uuid, digits):
    expect(dtmf(api, auth_id, call_uuid, digits), 422, code="validation_failed", pointer="/digits")


@pytest.mark.parametrize("digits", ["1", "1234*#", "0" * 20])
def test_n_digits_take_400n_minus_200_ms(api, auth_id, call_uuid, control, digits):
    sent = expect(dtmf(api, auth_id, call_uuid, digits), 202)
    control.advance_clock(len(digits) * 0.4 + 1)
    events = control.get_call_events(call_uuid)
    [start] = [e for e in events_of(events, "dtmf.started") if e["dtmf_uuid"] == str(sent.dtmf_uuid)]
    [end] = [e for e in events_of(events, "dtmf.finished") if e["dtmf_uuid"] == str(sent.dtmf_uuid)]
    took_ms = (when(end) - when(start)).total_seconds() * 1000
    assert abs(took_ms - (400 * len(digits) - 200)) <= 1  # timestamps carry whole milliseconds
