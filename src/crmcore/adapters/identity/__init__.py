"""Identity providers behind ``crmcore.ports.identity``."""
