"""In-memory data modules: XOR and anything that fits in a tensor."""
