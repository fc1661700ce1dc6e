"""Notifications: which resources' drift changed (changes.py), how each channel says it (channels.py with
webhook.py and slack.py), queuing in the pass's transaction (queue.py), and delivery that never stops
silently (delivery.py over transport.py)."""
