"""Hutong: a self-hostable super app."""

__version__ = "0.1.0"
