"""Commune news and the monthly promotion article: pages, services and selectors."""
