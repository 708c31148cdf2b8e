"""The core both shells share: one read path (``essaybot``) and one write path (``library``)."""
