"""Interlock: a self-hosted human-in-the-loop service for AI agents."""

from importlib.metadata import version

VERSION = version("interlock")  # read once: importlib.metadata parses the package metadata on every call
