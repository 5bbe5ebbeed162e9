"""The outbox: every email is queued as a row, then claimed, sent once and recorded.

A row moves pending -> sending -> sent | captured | failed, or back to pending with a
later `send_after` after a transient error. A worker owns a row only after its claim
(an UPDATE from pending to sending) succeeded, so two workers never send the same row.
A row left in "sending" by a crashed worker becomes "unknown": it may have gone out,
so a person decides, never a blind retry. So does a row whose connection was lost after
the server (or provider) had the message but before it answered.

- outbox: queue a message (a UNIQUE key, never a read before the write)
- checkins: render a check-in email from its touchpoint
- sending: claim due rows and send them (the worker), or send some at once
- reconcile: rows left "sending" by a crash, and a person's decision about them
- consent: consent to marketing, and who may be sent it today (basis and suppressions)
- account_notices: emails to a colleague about their own account

The row transitions live in mail.claims, one message's delivery in mail.delivery. Other
apps import from these modules directly; nothing is re-exported here.
"""
