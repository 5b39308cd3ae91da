"""Screens of the workbench window: one module per view."""
