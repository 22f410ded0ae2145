"""Root of every error the node raises on purpose; each layer subclasses it with a precise reason."""


class OKChainError(Exception):
    """Base class: the message is meant for users and says exactly what was wrong."""
