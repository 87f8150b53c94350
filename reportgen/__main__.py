"""``python -m reportgen``: the same command line as the installed ``reportgen`` script."""

from reportgen.cli import main

main(prog_name="reportgen")
