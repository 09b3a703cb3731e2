"""What marketing needs from the composition root: the template engine and a way to
open the channels."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import attrs

from crmcore.domain.campaign import CampaignChannel
from crmcore.ports.marketing import MessageChannel, TemplateEngine

#: Where unsubscribe links point unless ``CRMCORE_UNSUBSCRIBE_URL`` says otherwise.
DEFAULT_UNSUBSCRIBE_URL = "https://crm.invalid/unsubscribe"
#: Where the file channels write unless ``CRMCORE_OUTBOX_DIR`` says otherwise.
DEFAULT_OUTBOX_DIR = "crm-outbox"


@attrs.frozen(kw_only=True)
class ChannelOptions:
    """How to reach the channels in one worker run."""

    smtp_url: str | None = None  # None: e-mail goes to a file too
    folder: str = DEFAULT_OUTBOX_DIR


#: Opens every channel for a run; the caller closes them.
ChannelFactory = Callable[[ChannelOptions], Mapping[CampaignChannel, MessageChannel]]


@attrs.frozen(kw_only=True)
class MarketingServices:
    """The template engine, the channel factory and the unsubscribe link's base."""

    templates: TemplateEngine
    channels: ChannelFactory
    unsubscribe_base: str = attrs.field(
        factory=lambda: os.environ.get("CRMCORE_UNSUBSCRIBE_URL", DEFAULT_UNSUBSCRIBE_URL)
    )
