"""Errors raised by the flag engine."""


class EngineValidationError(ValueError):
    """Flag data that the engine refuses: malformed payload, or (from the validators) an invalid rule."""


class FlagNotFound(LookupError):
    """`Snapshot.evaluate` was asked for a flag the snapshot does not hold."""

    def __init__(self, key: str) -> None:
        super().__init__(f"flag not found: {key!r}")
        self.key = key
