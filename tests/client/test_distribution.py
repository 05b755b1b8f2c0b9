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
BRIDGES = {"langgraph": {"langgraph", "langchain_core"}, "pydantic_ai": {"pydantic_ai"}, "openai_agents": {"agents"}}


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names)


@pytest.mark.parametrize("path", sorted((CLIENT / "interlock_client").glob("*.py")), ids=lambda p: p.name)
def test_the_client_imports_only_httpx_standardwebhooks_and_the_standard_library(path: Path) -> None:
    assert imported(path) <= ALLOWED, path.name


@pytest.mark.parametrize("bridge", sorted(BRIDGES))
def test_each_bridge_imports_only_its_own_framework(bridge: str) -> None:
    assert imported(CLIENT / "interlock_client" / "bridges" / f"{bridge}.py") <= ALLOWED | BRIDGES[bridge]


def test_its_package_metadata_names_only_those_dependencies_and_ships_py_typed() -> None:
    project = tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "interlock-client"
    assert sorted(d.split(">")[0] for d in project["dependencies"]) == ["httpx", "standardwebhooks"]
    assert (CLIENT / "interlock_client" / "py.typed").exists()
    assert sorted(project["optional-dependencies"]) == ["langgraph", "openai-agents", "pydantic-ai"]


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
