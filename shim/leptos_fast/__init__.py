"""leptos-fast: the Pitwall shim for cargo-leptos (standard library only, Python 3.9+)."""

__version__ = "0.1.0"
