"""The only code that knows Redis keys and scripts: interrupts, loops and their indexes."""
