"""Typed adapters over google-api-python-client: one module per service, errors translated once."""
