"""gRPC for wallets and explorers: servicers, the threaded server, and protobuf conversion."""
