"""Leads, deals, contacts, accounts, activities and lead routing."""
