"""The Model Hub's command-line client (`hub`)."""

__version__ = "0.1.0"
