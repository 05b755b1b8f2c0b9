"""Refusals only the HTTP layer makes: they extend the domain's InterlockError tree (`domain/errors.py`).

InterlockError
├── InputError
│   ├── BodyTooLarge            the body is over the configured limit
│   ├── BodyTimeout             the body did not arrive in time (a slow or stalled client)
│   └── UnsupportedContentType  the body is not declared as JSON
├── Unauthorized                no valid API key
├── Forbidden                   a valid key whose role may not do this (or a page link that may not decide)
├── MisdirectedRequest          a loopback-bound server asked for another host (DNS rebinding)
├── RouteNotFound               no such route
└── MethodNotAllowed            the route exists, not for this method
"""

from service.domain.errors import InputError, InterlockError


class BodyTooLarge(InputError):
    """The body is larger than the configured limit."""


class BodyTimeout(InputError):
    """The request body was not complete within INTERLOCK_BODY_TIMEOUT_S."""


class UnsupportedContentType(InputError):
    """The body is not declared as JSON."""


class Unauthorized(InterlockError):
    """No valid API key was presented for a protected route."""


class Forbidden(InterlockError):
    """The caller is known, but its role (or its link) does not allow this; `detail` says what is needed."""


class MisdirectedRequest(InterlockError):
    """A server bound to loopback was asked for a host that is not loopback nor the public base URL's."""


class RouteNotFound(InterlockError):
    """No route matches the request path."""


class MethodNotAllowed(InterlockError):
    """The route exists but not for this method."""
