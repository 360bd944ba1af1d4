"""The promotion reminder log: one row per commune and month, so a reminder goes out once."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PromotionReminder(models.Model):
    commune_page = models.ForeignKey("cms.CommunePage", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("tháng"), help_text=_("Ngày đầu tháng (giờ Việt Nam)"))
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("nhắc bài quảng bá")
        constraints = [models.UniqueConstraint(fields=["commune_page", "month"], name="promotion_reminder_once_a_month")]

    def __str__(self) -> str:
        return f"{self.commune_page_id} {self.month:%m/%Y}"
