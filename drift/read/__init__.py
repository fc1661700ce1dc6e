"""The read stage: what is live in each (target, region), as plain values (``types.py``)."""
