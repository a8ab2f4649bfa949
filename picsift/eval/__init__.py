"""Quality evaluation: numbers computed on labelled data, per channel and fused."""
