"""The HTTP surface: the API under ``/crm`` (``create_api``), served by ``crm serve``."""
