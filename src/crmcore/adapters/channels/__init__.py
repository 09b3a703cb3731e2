"""Message channels: SMTP e-mail, and JSON-lines files for the other channels."""

from crmcore.adapters.channels.files import FileChannel
from crmcore.adapters.channels.smtp import SmtpChannel, SmtpSettings

__all__ = ["FileChannel", "SmtpChannel", "SmtpSettings"]
