"""Pure domain: models, the state machine, loop policies and the error tree (no I/O, no HTTP)."""
