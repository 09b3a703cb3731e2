"""Template engines."""

from crmcore.adapters.templates.jinja import SandboxedJinja

__all__ = ["SandboxedJinja"]
