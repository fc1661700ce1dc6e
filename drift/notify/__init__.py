"""Notifications: which models changed (changes.py), what to send (webhook.py, slack.py), and the
outbox that makes delivery at-least-once across crashes (outbox.py)."""
