"""Customer lifetime value: predictions, the traditional formula and statuses."""
