"""CSV imports: contacts, transactions and the rows they are built from."""
