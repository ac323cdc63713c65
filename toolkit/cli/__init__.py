"""The `qda` command: a thin layer over the library."""
