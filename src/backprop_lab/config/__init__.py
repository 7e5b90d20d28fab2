"""From the composed config to objects: checks, builders, what may be rebuilt from outside."""
