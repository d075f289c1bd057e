"""A tiny regression family for neurosim: the worked example of docs/adding-a-family.md."""
