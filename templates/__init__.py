"""Jinja templates (model.c/h, host runner, firmware, PlatformIO projects), installed as package data."""
