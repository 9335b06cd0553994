"""The candidate rewrite of the orders service."""
