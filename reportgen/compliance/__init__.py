"""Regulatory frameworks as data (``packs/*.yaml``) and the traceability matrix they give a run."""
