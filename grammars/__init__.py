"""tree-sitter queries as data, one folder per language; loaded with importlib.resources."""
