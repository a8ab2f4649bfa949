"""Edits that keep a picture's structure: variants made by diffusion, measured and marked."""
