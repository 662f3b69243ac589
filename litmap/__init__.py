"""litmap: literature maps around seed papers from the Semantic Scholar graph."""

__version__ = "0.1.0"
