"""The facts both clients share, written once (openapi/client-facts.yaml and the spec) by tools/client_facts.py: what
it reads from the spec, what it writes into each client, and the one line it prints when the two disagree."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tryvox_call_actions_client import AuthenticatedClient, _facts, errors

from tools import client_facts

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())
FACTS = yaml.safe_load((ROOT / "openapi" / "client-facts.yaml").read_text())


def example_codes() -> dict[int, set[str]]:
    """{status: the problem codes of its examples}, read the plain way: every example of every error answer."""
    answers = SPEC["components"]["responses"]
    found: dict[int, set[str]] = {}
    for item in SPEC["paths"].values():
        for operation in (value for value in item.values() if isinstance(value, dict)):
            for status, answer in operation.get("responses", {}).items():
                if int(status) >= 400:
                    answer = answers[answer["$ref"].rsplit("/", 1)[1]]
                    examples = answer["content"]["application/problem+json"]["examples"].values()
                    found.setdefault(int(status), set()).update(example["value"]["code"] for example in examples)
    return found


def test_each_class_doc_lists_its_status_and_the_problem_codes_the_spec_gives_it() -> None:
    codes = example_codes()
    assert set(errors.STATUS_ERRORS) == set(codes)
    for status, cls in errors.STATUS_ERRORS.items():
        doc = " ".join((cls.__doc__ or "").split())
        assert doc.startswith(f"{status}: {FACTS['errors'][status]['means'].replace('`', '``')} (")
        listed = re.search(r"\(([^)]*)\)", doc)
        assert listed is not None and set(re.findall(r"``(\w+)``", listed[1])) == codes[status], cls.__name__
        assert cls.__name__ == FACTS["errors"][status]["class"] and cls.__module__ == errors.__name__


def test_the_codes_come_in_the_order_the_spec_first_names_them() -> None:
    found = client_facts.problem_codes(SPEC)
    assert found[409] == ["call_not_in_progress", "recording_already_running", "no_active_recording"]
    assert found[422] == ["validation_failed", "caller_id_not_owned"]


def test_the_classes_carry_their_logic() -> None:
    assert issubclass(errors.UnprocessableEntityError, errors._WithFieldErrors)
    assert issubclass(errors.RateLimitError, errors._WithRetryAfter)
    assert not hasattr(errors.ConflictError, "errors") and not hasattr(errors.ConflictError, "retry_after")


def test_the_figures_are_the_tables_and_the_clients_defaults() -> None:
    retries, timeouts = FACTS["retries"], FACTS["timeouts"]
    assert (_facts.DEFAULT_MAX_RETRIES, _facts.DEFAULT_MAX_RETRY_AFTER) == (
        retries["max_retries"],
        retries["max_retry_after"],
    )
    backoff = retries["backoff"]
    assert (_facts.BACKOFF_INITIAL, _facts.BACKOFF_MAX, _facts.BACKOFF_JITTER) == (backoff["initial"], backoff["max"],
                                                                                   backoff["jitter"])  # fmt: skip
    client = AuthenticatedClient(base_url="http://127.0.0.1", token="t")
    assert (client.max_retries, client.max_retry_after) == (retries["max_retries"], retries["max_retry_after"])
    timeout = client.get_httpx_client().timeout
    assert (timeout.connect, timeout.read) == (timeouts["connect"], timeouts["read"])


def test_the_typescript_module_has_the_same_classes_codes_and_figures() -> None:
    written = client_facts.files(SPEC, FACTS, "call-actions.yaml", "typescript")
    classes = re.findall(r"export class (\w+) extends (\w+) \{\}", written["errors.gen.ts"])
    assert [name for name, _ in classes] == [cls.__name__ for cls in errors.STATUS_ERRORS.values()]
    assert dict(classes)["RateLimitError"] == "WithRetryAfter"
    assert "`call_not_in_progress`, `recording_already_running`,\n * `no_active_recording`" in written["errors.gen.ts"]
    assert "export const DEFAULT_RETRY_AFTER_CAP_MS = 60_000;" in written["facts.gen.ts"]
    assert "export const BACKOFF_INITIAL_MS = 500;" in written["facts.gen.ts"]
    assert 'export const DEFAULT_BASE_URL = "https://api.tryvox.io";' in written["facts.gen.ts"]


def run_tool(tmp_path: Path, spec: dict[str, Any], facts: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "call-actions.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "client-facts.yaml").write_text(yaml.safe_dump(facts))
    (tmp_path / "out").mkdir(exist_ok=True)
    command = [sys.executable, str(ROOT / "tools" / "client_facts.py"), str(tmp_path / "call-actions.yaml")]
    return subprocess.run([*command, "--python", str(tmp_path / "out")], capture_output=True, text=True, check=False)


def test_the_tool_writes_the_three_modules(tmp_path: Path) -> None:
    done = run_tool(tmp_path, SPEC, FACTS)
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["_facts.py", "_status_errors.py",
                                                                         "_webhook_schemas.py"]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("a status the spec documents has no row", "the spec documents status 409: give it a row"),
        ("a row for a status no operation documents", "has a row for status 503, which no operation"),
        ("a row without its class", "errors 404 needs `class` and `means`"),
        ("a negative figure", "max_retry_after must be a number of 0 or more, not -1"),
    ],
)
def test_the_tool_refuses_a_table_that_disagrees_in_one_line(tmp_path: Path, change: str, said: str) -> None:
    facts = copy.deepcopy(FACTS)
    if change.startswith("a status the spec"):
        del facts["errors"][409]
    elif change.startswith("a row for"):
        facts["errors"][503] = {"class": "ServiceUnavailableError", "means": "try later"}
    elif change.startswith("a row without"):
        del facts["errors"][404]["class"]
    else:
        facts["retries"]["max_retry_after"] = -1
    done = run_tool(tmp_path, SPEC, facts)
    assert done.returncode == 2 and said in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not list((tmp_path / "out").iterdir())  # nothing half-written


def test_an_error_answer_without_a_problem_code_is_refused(tmp_path: Path) -> None:
    spec = copy.deepcopy(SPEC)
    answer = spec["components"]["responses"]["PayloadTooLarge"]["content"]["application/problem+json"]
    del answer["schema"]["properties"]["code"], answer["examples"]
    done = run_tool(tmp_path, spec, FACTS)
    assert done.returncode == 2 and "answers 413 with no problem code in the spec" in done.stderr, done.stderr
