"""Reusable widgets: span editor, entity type popup, delegates."""
