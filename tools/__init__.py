"""Spec governance and docs tooling (comparator, version gate, headless browser driver)."""
