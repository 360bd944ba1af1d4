"""Writes for live-selling sessions. Keyword-only and typed; views, admin and tasks call these.

- `schedule`: plan, validate (bad input, conflicts), materialise, move and cancel occurrences;
  verify hosts.
- `featured`: a featured producer's own products in someone else's session, and leaving it.
- `holds`: the ring-fence: units held on stock for each occurrence's window, returned after.
- `subscriptions`, `reminders`: e-mail reminders (double opt-in), each sent once per confirmed
  subscriber and occurrence.
- `reports`: orders, units and GMV attributed to a session.
The live price itself is in `marketplace.livestreams.pricing`, which checkout calls.

Services that change a session as a whole (`live_session_save`, `occurrence_move`,
`occurrence_cancel`, `live_session_cancel`) and the report take a keyword-only `by`, the acting
user, and ask `marketplace.livestreams.access` themselves: a user who may not manage the session
gets `LiveNotAllowed` (a PermissionDenied: 403), the report only their own rows. `by=None` is the
system (beat tasks, the demo and data loaders); views always pass `request.user`.
"""
from .errors import LiveError, LiveNotAllowed
from .featured import live_session_featured_set, live_session_leave
from .holds import holds_place, holds_return, windows_tick
from .hosts import host_save, host_verify
from .occurrences import live_session_cancel, occurrence_cancel, occurrence_move
from .reminders import reminders_due, reminders_send
from .reports import SessionReport, session_report, session_report_csv
from .schedule import Conflict, FeaturedData, SessionData, live_session_check, live_session_conflicts, live_session_save
from .subscriptions import subscription_cancel, subscription_confirm, subscription_create, subscription_for_confirmation

__all__ = [
    "Conflict", "FeaturedData", "LiveError", "LiveNotAllowed", "SessionData", "SessionReport", "holds_place", "holds_return",
    "host_save", "host_verify", "live_session_cancel", "live_session_check", "live_session_conflicts",
    "live_session_featured_set", "live_session_leave", "live_session_save",
    "occurrence_cancel", "occurrence_move", "reminders_due", "reminders_send", "session_report", "session_report_csv",
    "subscription_cancel", "subscription_confirm", "subscription_create", "subscription_for_confirmation", "windows_tick",
]
