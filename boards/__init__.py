"""Board manifests (one JSON file per board), installed as package data."""
