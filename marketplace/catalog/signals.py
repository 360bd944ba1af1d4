"""Catalogue events. search/, connectors/, the page cache and later parts listen; the
catalogue never calls them. Each is sent inside the transaction that made the change, so a
listener that enqueues work should use `transaction.on_commit`."""
from django.dispatch import Signal

# product_ids: list[int]
product_published = Signal()
product_unpublished = Signal()
# sku_ids: list[int]
stock_changed = Signal()
# Anything a visitor can see changed (certificate, producer, category): product_ids may be empty.
catalog_changed = Signal()
