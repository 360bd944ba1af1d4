from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


class LiveError(ValueError):
    """Input we refuse, with every reason in Vietnamese (nothing was saved)."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))

    @property
    def message(self) -> str:
        return " ".join(self.messages)


class LiveNotAllowed(PermissionDenied):
    """The acting user may not change this session as a whole (not its creator, one of its
    commune's editors or an operator). A PermissionDenied, so a view that lets it through answers 403."""

    def __init__(self, message: str | None = None):
        self.message = message or _(
            "Chỉ người tạo phiên, biên tập viên của xã và người vận hành mới thay đổi được phiên live này.")
        super().__init__(self.message)
