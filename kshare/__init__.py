"""kshare — self-hosted knowledge sharing for companies."""

__version__ = "0.1.0"
