"""The client is its own distribution: typed, installable from the checkout, and free of the server's dependencies."""

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.processes import ROOT

CLIENT = ROOT / "client"
ALLOWED = {"httpx", "standardwebhooks", "interlock_client"}


@pytest.mark.parametrize("path", sorted((CLIENT / "interlock_client").glob("*.py")), ids=lambda p: p.name)
def test_the_client_imports_only_httpx_standardwebhooks_and_the_standard_library(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top in ALLOWED or top in sys.stdlib_module_names, f"{path.name} imports {name}"


def test_its_package_metadata_names_only_those_dependencies_and_ships_py_typed() -> None:
    project = tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "interlock-client"
    assert sorted(d.split(">")[0] for d in project["dependencies"]) == ["httpx", "standardwebhooks"]
    assert (CLIENT / "interlock_client" / "py.typed").exists()


@pytest.mark.timeout(180)
def test_uv_pip_install_of_the_checkout_gives_a_working_client_without_the_server(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is on PATH (the README's install command uses it)"
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), "./client"], cwd=ROOT, check=True,
                   timeout=120)  # fmt: skip
    probe = ("import importlib.util as u, interlock_client as c; print(c.Interlock.__name__, "
             "[m for m in ('litestar', 'redis', 'msgspec', 'service') if u.find_spec(m)])")  # fmt: skip
    out = subprocess.run([str(python), "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split(maxsplit=1) == ["Interlock", "[]\n"]
