from fineplan.cli.main import run

run()
