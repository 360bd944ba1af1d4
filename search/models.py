"""Tables of the database search backend, and the operator's synonym list (used by every backend).

`SearchDocument` is the flat, already-folded document per product. The full-text index over
it is engine-specific and kept in step by the database itself (see migration 0002): an FTS5
external-content table with triggers on SQLite, a generated `tsvector` column with a GIN index
on PostgreSQL.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace.catalog.models import Product


class SearchDocument(models.Model):
    product = models.OneToOneField(Product, primary_key=True, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64)
    price_vnd = models.BigIntegerField()
    stock = models.IntegerField(default=0)
    stars = models.PositiveSmallIntegerField(null=True)
    province_code = models.CharField(max_length=5)
    province_name = models.CharField(max_length=100)
    commune_code = models.CharField(max_length=5)
    commune_name = models.CharField(max_length=100)
    category_slug = models.CharField(max_length=100, blank=True)
    category_name = models.CharField(max_length=100, blank=True)
    producer_name = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    # Folded (lower-case, no diacritics, đ → d) text, indexed with weights name > place > body.
    folded_name = models.TextField()
    folded_place = models.TextField()
    folded_body = models.TextField()

    class Meta:
        indexes = [
            models.Index(fields=["province_code"]),
            models.Index(fields=["commune_code"]),
            models.Index(fields=["category_slug"]),
            models.Index(fields=["price_vnd"]),
            models.Index(fields=["created_at"]),
        ]


class SearchTerm(models.Model):
    """The vocabulary of folded words seen at index time, for "did you mean" and typo tolerance."""

    term = models.CharField(max_length=64, primary_key=True)
    display = models.CharField(max_length=64, help_text="the word as first seen, with its diacritics")
    length = models.PositiveSmallIntegerField(db_index=True)
    # True when the word is (or once was) in a product name; False only when it never was, so
    # the typo check can skip corrections no name could hold without asking the name index.
    in_names = models.BooleanField(default=True)


class Synonym(models.Model):
    """Words or phrases that mean the same to a buyer (`macca, mắc ca`). Every backend expands
    a query containing one of them to all of them."""

    terms = models.CharField(
        _("từ đồng nghĩa"), max_length=500,
        help_text=_("Các cách viết có cùng nghĩa, cách nhau bằng dấu phẩy, ví dụ: macca, mắc ca"),
    )

    class Meta:
        verbose_name = _("từ đồng nghĩa")
        verbose_name_plural = _("từ đồng nghĩa (tìm kiếm)")
        ordering = ["terms"]

    def __str__(self) -> str:
        return self.terms

    def phrases(self) -> list[str]:
        return [part.strip() for part in self.terms.split(",") if part.strip()]


class IndexOutbox(models.Model):
    """A catalogue change search has not applied yet: one row per product, SKU (a stock change:
    the worker finds its product) or `all` (a category or producer changed). Written by the
    signal receivers inside the catalogue's transaction, so the change and its row commit
    together; the indexing task deletes the row once applied, and the beat sweep applies rows a
    lost task left behind. A later change rewrites `token`, so a row changed while it was being
    applied stays for the next run."""

    class Kind(models.TextChoices):
        PRODUCT = "product"
        SKU = "sku"
        ALL = "all"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    ref = models.BigIntegerField(default=0, help_text="product or SKU id; 0 for all")
    token = models.UUIDField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="search_indexoutbox_kind_ref")]
        indexes = [models.Index(fields=["changed_at"], name="search_indexoutbox_changed")]
