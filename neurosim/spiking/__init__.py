"""Brian2 side of neurosim: the only package that imports brian2."""
