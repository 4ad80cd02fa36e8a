"""``python -m ldnsim`` runs the command line."""

from ldnsim.cli import main

main()
