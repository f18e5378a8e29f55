"""Text primitives shared by every stage: script, sentences, names, figures, overlaps."""
