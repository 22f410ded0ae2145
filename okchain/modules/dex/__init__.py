"""DEX: trading pairs, orders with locked funds, a call auction per pair at the end of every block."""
