"""Small commands of `python -m shared_gateway` that need no package of their own."""
