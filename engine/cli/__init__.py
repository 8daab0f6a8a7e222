"""The `formwork` command line (click): one module per command group, wired in `main`."""
