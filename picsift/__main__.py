"""``python -m picsift`` runs the CLI."""

from picsift.cli import main

main()
