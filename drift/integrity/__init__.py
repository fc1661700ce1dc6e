"""SPEC §8: what a model's references (image tags, artifacts) resolve to, judged against a baseline."""
