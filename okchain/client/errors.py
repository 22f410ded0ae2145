"""What the client raises: every error names its cause precisely, like the node's own."""

from okchain.errors import OKChainError


class ClientError(OKChainError):
    """Something the client refuses before or after talking to the node (bad argument, failed check)."""


class NodeError(ClientError):
    """The node answered a call with an error: the gRPC status name (``code``) and its precise message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class VerifyError(ClientError):
    """The node's answer could not be verified against the client's trust root; it says why."""
