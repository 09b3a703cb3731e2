"""crmcore."""
