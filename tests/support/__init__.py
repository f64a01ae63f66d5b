"""Test-support code shared by several test modules (imported as ``support.…``; tests/ is on sys.path)."""
