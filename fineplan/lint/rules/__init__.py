"""Rule modules, one per group. Each module defines one class per code; importing registers them."""
