"""The dependency rules of ARCHITECTURE.md, checked on the source: who may import redis or arq, and domain purity."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_REDIS = ("service/store/", "service/jobs.py", "service/app.py", "service/embedded.py", "worker/")
DOMAIN_ALLOWED = {"msgspec", "service", "__future__"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def sources() -> list[Path]:
    return sorted(p for folder in ("service", "worker") for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_store_layer_talks_to_redis_or_arq(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    if relative.startswith(ALLOWED_REDIS):
        return
    banned = {m for m in imports(path) if m.split(".")[0] in ("redis", "arq")}
    assert not banned, f"{relative} imports {banned}"


@pytest.mark.parametrize("path", sorted((ROOT / "service/domain").rglob("*.py")), ids=lambda p: p.name)
def test_domain_is_pure(path: Path) -> None:
    import sys

    stdlib = set(sys.stdlib_module_names)
    for module in imports(path):
        top = module.split(".")[0]
        assert top in stdlib or top in DOMAIN_ALLOWED, f"{path.name} imports {module}"
        if top == "service":
            assert module.startswith("service.domain"), f"{path.name} imports {module}"


def test_nothing_imports_the_worker() -> None:
    for path in (ROOT / "service").rglob("*.py"):
        if path == ROOT / "service/cli.py":
            continue  # the one command line starts the worker (`interlock worker`); nothing else may
        assert not any(m.split(".")[0] == "worker" for m in imports(path)), path


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_opens_with_a_docstring(path: Path) -> None:
    assert ast.get_docstring(ast.parse(path.read_text())), f"{path} has no module docstring"


def test_every_lua_script_declares_keys_argv_and_returns() -> None:
    for script in (ROOT / "service/store/lua").glob("*.lua"):
        if script.name.startswith("_"):
            continue
        lines = script.read_text().splitlines()
        text = "\n".join(line for line in lines[: next(i for i, ln in enumerate(lines) if not ln.startswith("--"))])
        assert "KEYS" in text and "ARGV" in text and "Returns" in text, script.name


def test_every_error_class_has_a_problem_entry() -> None:
    from service.api.problems import TABLE
    from service.asgi import refusals
    from service.domain import errors

    classes = {obj for module in (errors, refusals) for obj in vars(module).values()
               if isinstance(obj, type) and issubclass(obj, errors.InterlockError)}  # fmt: skip
    assert classes <= set(TABLE), classes - set(TABLE)


@pytest.mark.parametrize("module", ["service.domain.errors", "service.asgi.refusals"])
def test_each_error_tree_drawn_names_every_class_of_its_module(module: str) -> None:
    import importlib

    found = importlib.import_module(module)
    drawn = set(re.findall(r"[├└]── (\w+)", found.__doc__ or ""))
    classes = {name for name, obj in vars(found).items() if isinstance(obj, type) and issubclass(obj, Exception)
               and obj.__module__ == module}  # fmt: skip
    assert classes <= drawn | {"InterlockError"}, classes - drawn
    assert drawn - {"InputError"} <= classes | {"InterlockError"}, drawn - classes


@pytest.mark.parametrize("path", sorted((ROOT / "service/waiting").rglob("*.py")), ids=lambda p: p.name)
def test_waiting_knows_no_http(path: Path) -> None:
    for module in imports(path):
        assert module.split(".")[0] not in ("litestar", "httpx", "granian", "uvicorn"), f"{path.name} imports {module}"
        assert not module.startswith(("service.api", "service.web", "service.mcp")), f"{path.name} imports {module}"


@pytest.mark.parametrize("path", sorted((ROOT / "service/web").rglob("*.py")), ids=lambda p: p.name)
def test_web_imports_nothing_from_api(path: Path) -> None:
    assert not any(m.startswith("service.api") for m in imports(path)), f"{path.name} imports the JSON API"


@pytest.mark.parametrize("path", sorted((ROOT / "service/asgi").rglob("*.py")), ids=lambda p: p.name)
def test_the_http_plumbing_knows_no_routes(path: Path) -> None:
    found = {m for m in imports(path) if m.startswith(("service.api", "service.web", "service.mcp", "service.waiting"))}
    assert not found, f"{path.name} imports {found}"


# What each layer may import of `service` (besides itself): the layers below it, never those above.
LAYERS = {
    "service/domain": set(),
    "service/store": {"domain", "clock", "settings"},
    "service/waiting": {"domain", "clock", "store"},
    "service/asgi": {"domain"},
    "service/web": {"asgi", "clock", "domain", "services", "settings", "store", "waiting"},
    "service/api": {"asgi", "clock", "domain", "services", "settings", "store", "waiting", "web", "jobs", "logs"},
    "service/mcp": {"api", "clock", "domain", "settings"},
    "worker": {"clock", "domain", "jobs", "logs", "settings", "store"},
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    own = layer.removeprefix("service/")
    for path in sorted((ROOT / layer).rglob("*.py")):
        used = {m.split(".")[1] for m in imports(path) if m.startswith("service.")}
        above = used - LAYERS[layer] - {own}
        assert not above, f"{path.relative_to(ROOT)} imports {sorted(above)}"


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for path in sources():
        text = path.read_text()
        relative = str(path.relative_to(ROOT))
        if text.count("\n") > 300:
            too_long.append(f"{relative}: {text.count(chr(10))} lines (at most 300)")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                wiring = relative == "service/app.py" and node.name == "create_app"  # the one wiring point
                if length > 50 and not wiring:
                    too_long.append(f"{relative}: {node.name} is {length} lines (at most 50)")
    assert too_long == []
