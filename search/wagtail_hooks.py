"""The operator edits the synonym list in the Wagtail admin (Snippets → Từ đồng nghĩa)."""
from wagtail.snippets.models import register_snippet

from .models import Synonym

register_snippet(Synonym)
