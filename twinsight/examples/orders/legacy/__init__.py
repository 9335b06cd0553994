"""The legacy orders service."""
