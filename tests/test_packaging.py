"""The tryvox-sim wheel: it carries the spec files and py.typed, and needs only what serving needs."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVING = {"httpx", "jsonschema-rs", "orjson", "pyyaml", "httptools", "uvloop"}


def test_the_wheel_ships_the_specs_and_py_typed_and_only_the_serving_dependencies(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp_path),
         str(ROOT)],
        check=True, timeout=120,
    )  # fmt: skip
    [wheel] = tmp_path.glob("tryvox_sim-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert {"tryvox_sim/py.typed", "tryvox_sim/openapi/call-actions.yaml", "tryvox_sim/openapi/simulator.yaml"} <= names
    layers = ("contract", "sim", "wire", "proxy", "testing")  # every layer's package travels in the wheel
    assert {f"tryvox_sim/{layer}/__init__.py" for layer in layers} <= names
    assert {"tryvox_sim/contract/problems.py", "tryvox_sim/testing/control_client.py"} <= names
    required = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.-]+)==[^;\n]+(?:; sys_platform[^\n]*)?$", metadata, re.M)
    assert set(required) == SERVING
