"""The import paths of tryvox-sim 1.1 keep working after the modules moved into layer folders: each old path is the
module it became (the same object, so state is shared), with a DeprecationWarning naming the new path; the documented
paths (`tryvox_sim.testing`, the pytest plugin's entry point) did not move at all."""

import importlib
import subprocess
import sys
import warnings
from importlib import metadata

import pytest

from tryvox_sim._moved import MOVED


@pytest.mark.parametrize(("old", "new"), MOVED.items(), ids=MOVED.keys())
def test_an_old_path_is_the_new_module_with_a_warning_naming_it(old, new):
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    [warning] = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert f"{old} moved to {new}" in str(warning.message) and "2.0" in str(warning.message)


def test_the_warning_points_at_the_importing_line():
    code = "import warnings\nwarnings.simplefilter('error')\nfrom tryvox_sim.control_client import ControlClient\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'File "<string>", line 3' in result.stderr and "tryvox_sim.testing.control_client" in result.stderr


def test_the_documented_paths_did_not_move():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from tryvox_sim.testing import ControlClient, SimulatedAPI, served, simulated_api  # noqa: F401
    [plugin] = [e for e in metadata.entry_points(group="pytest11") if e.name == "tryvox_sim"]
    assert plugin.value == "tryvox_sim.testing.pytest_plugin"


def test_an_unknown_name_is_still_an_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tryvox_sim.no_such_module")
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        importlib.import_module("tryvox_sim.testing").nothing  # noqa: B018
