"""Jinja templates and C kernels, installed as package data."""
