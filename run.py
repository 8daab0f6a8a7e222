"""`python run.py COMMAND …`: the `formwork` command line, runnable from a checkout."""

from engine.cli.main import main

if __name__ == "__main__":
    main()
