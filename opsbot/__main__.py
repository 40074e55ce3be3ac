"""`python -m opsbot`: the command line, as the `opsbot` script runs it."""

from opsbot.cli import main

main()
