"""Marketing automation (PRODUCT.md C5): templates, campaigns, the send worker,
unsubscribe and the reactions that count opens, clicks and conversions."""
