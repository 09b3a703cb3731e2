"""``python -m crmcore`` runs the CLI."""

from crmcore.app.cli.main import main

main()
