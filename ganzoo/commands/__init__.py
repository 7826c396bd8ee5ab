"""The built-in commands of the ``ganzoo`` command line, one module each."""
