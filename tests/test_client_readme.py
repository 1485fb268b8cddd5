"""The generated client's README (the page a package index shows) is written for this API and runs as written.

Its Python blocks run in order, in one namespace, against a served simulator; each `print(...)  # expected`
comment is checked against the line printed (… stands for anything).
"""

import os
import re
from pathlib import Path

from tryvox_sim.testing import served

README = (Path(__file__).resolve().parents[1] / "generated" / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
OPERATIONS = ("transfer_call", "start_recording", "stop_recording", "play_audio", "speak_text", "send_dtmf")


def expected_lines(code: str) -> list[str]:
    return [line.split("  # ", 1)[1] for line in code.splitlines() if "print(" in line and "  # " in line]


def matches(expected: str, printed: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern, printed) is not None


def test_readme_is_written_for_this_api():
    for placeholder in ("MyDataModel", "my_tag", "api.example.com", "SuperSecretToken"):
        assert placeholder not in README
    assert "Authorization: Bearer" in README
    code = "\n".join(BLOCKS)
    assert BLOCKS[0].count("TryvoxClient()") == 1, "the first example makes the client from the environment"
    assert "isinstance(again, Problem)" in code and "await asyncio.gather(" in code
    for operation in OPERATIONS:
        assert f"client.calls.{operation}(" in code, operation  # every operation in the resource form
    assert "send_dtmf.sync_detailed(" in code and "stop_recording.sync(" in code  # the functional API, kept


def test_the_configuration_table_is_the_clients():
    """Argument, variable, default: the README's table against the clients' own settings and figures."""
    from tryvox_call_actions_client import TryvoxClient, _facts
    from tryvox_call_actions_client._resource_client import AUTH_ID_VARIABLE, BASE_URL_VARIABLE, TOKEN_VARIABLE

    cells = [
        [cell.strip() for cell in row.strip("|").split("|")] for row in _table(README, "| argument |").splitlines()
    ]
    rows = {cell[0].strip("`"): cell[1:] for cell in cells[2:]}
    assert rows["token"][0] == f"`{TOKEN_VARIABLE}`" and rows["base_url"][0] == f"`{BASE_URL_VARIABLE}`"
    assert rows["auth_id"][0] == f"`{AUTH_ID_VARIABLE}`"
    assert rows["base_url"][1].startswith(f"`{_facts.DEFAULT_BASE_URL}`")
    client = TryvoxClient("t")
    assert (
        rows["max_retries"][1].startswith(f"{client.max_retries} ") and client.max_retries == _facts.DEFAULT_MAX_RETRIES
    )
    assert rows["max_retry_after"][1].startswith(f"{client.max_retry_after:g} ")
    assert rows["timeout"][1].startswith(f"{client.timeout.read:g} s, {client.timeout.connect:g} s to connect")
    assert set(rows) == {"token", "base_url", "auth_id", "timeout", "max_retries", "max_retry_after", ""}  # "": TVX_LOG


def test_readme_examples_run_against_a_served_simulator(monkeypatch, capsys):
    assert len(BLOCKS) >= 4
    with served() as sim:
        for name in ("TVX_BASE_URL", "TVX_AUTH_ID", "TVX_API_TOKEN", "TVX_CALL_UUID"):
            monkeypatch.setitem(os.environ, name, sim[name])
        namespace: dict = {"__name__": "readme"}
        for code in BLOCKS:
            exec(compile(code, "generated/README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    expected = [line for code in BLOCKS for line in expected_lines(code)]
    assert len(expected) >= 8
    assert len(printed) == len(expected), printed
    for want, got in zip(expected, printed, strict=True):
        assert matches(want, got), f"README says {want!r}, the client printed {got!r}"


def test_expected_output_comments_are_checked_strictly():
    assert matches("stopped https://recordings.tryvox.io/….wav", "stopped https://recordings.tryvox.io/ab-1.wav")
    assert not matches("stopped https://recordings.tryvox.io/….wav", "stopped https://recordings.tryvox.io/ab.mp3")
    assert not matches("409 no_active_recording", "409 no_active_recording ")


def _table(text: str, header: str) -> str:
    start = text.index(header)
    return text[start : text.index("\n\n", start)]


def test_the_retry_policy_is_the_project_readmes_table():
    """The policy is stated once (the site's page "Retries and timeouts"); the package README shows the same table."""
    root = (Path(__file__).resolve().parents[1] / "docs" / "guides" / "retries.md").read_text()
    assert _table(README, "| rule |") == _table(root, "| rule |")


def test_the_error_table_names_each_documented_status_and_class():
    from tryvox_call_actions_client.errors import STATUS_ERRORS

    rows = [row.split(" | ") for row in _table(README, "| status | class |").splitlines()[2:]]
    assert {int(row[0].strip("| ")): row[1].split("`")[1] for row in rows} == {
        status: cls.__name__ for status, cls in STATUS_ERRORS.items()
    }
