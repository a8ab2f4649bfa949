"""picsift: self-hosted image search and categorization."""

__version__ = "0.1.0"
