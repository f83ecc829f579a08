"""The command line: thin commands that parse, call the context, render and exit 0/1/2."""
