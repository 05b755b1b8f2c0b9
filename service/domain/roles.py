"""Who may do what: the four roles in order of power, and the API keys that carry them (no HTTP here)."""

import enum
import re

import msgspec

LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")


class Role(enum.IntEnum):
    """What a caller may do; each role may do everything the roles below it may."""

    PUBLIC = 0  # anyone: capability links, health, docs
    AGENT = 1  # create, read, wait, cancel, history, loops
    REVIEWER = 2  # also pending queues, decide, analytics, inbox and review links
    ADMIN = 3  # also delivery logs, redelivery, the failed list, metrics

    @property
    def text(self) -> str:
        """The role's name as the docs and error details spell it."""
        return self.name.lower()


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """One configured key: the label that names it everywhere (never the secret) and its role."""

    label: str
    role: Role
    secret: str

    def __repr__(self) -> str:
        return f"ApiKey(label={self.label!r}, role={self.role.text})"


# Who decided when nobody presented a key because auth is off.
ANONYMOUS = ApiKey(label="anonymous", role=Role.ADMIN, secret="")


def parse_keys(text: str, role: Role, *, labelled: bool) -> list[ApiKey]:
    """Comma-separated keys: `label=secret` pairs when `labelled`, else bare secrets or pairs (label `admin`).

    An entry is a pair when the text before its first `=` is a label and a secret follows that does not
    itself start with `=` (so a base64 secret ending in `=` or `==` stays one secret).
    """
    found = []
    for number, raw in enumerate(text.split(","), 1):
        entry = raw.strip()
        if not entry:
            continue
        label, sep, secret = entry.partition("=")
        if sep and LABEL.match(label) and secret and not secret.startswith("="):
            found.append(ApiKey(label=label, role=role, secret=secret))
        elif labelled:
            raise ValueError(f"entry {number} is not label=secret (a label is letters, digits and ._@+-)")
        else:
            found.append(ApiKey(label="admin", role=role, secret=entry))
    return found
