"""Node assembly: config, home folder, and the trio services that carry out consensus actions."""
