"""The JSON gateway: the node's gRPC services over HTTP for browsers, curl and REST explorers.

Built from the service descriptors of ``okchain.rpc.server.SERVICES`` and calling the same servicer objects
in-process, so every query the gRPC API gains is mirrored here with no code of its own.
"""
