"""Integrations with the tools oot's results go to.

Each integration is a module imported on its own (``import oot.integrations.mlflow``):
``import oot`` imports none of them, nor the libraries they talk to.
"""
