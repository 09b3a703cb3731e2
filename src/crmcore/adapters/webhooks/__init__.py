"""Outbound webhooks: events POSTed, signed, to subscribed URLs."""
