"""The audit trail: every append-only row in one hash chain, signed checkpoints, verify,
export."""
