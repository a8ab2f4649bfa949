"""Turning untrusted bytes into model-ready RGB images, safely."""

from picsift.imaging.decode import DecodedImage, decode_image, read_image_file

__all__ = ["DecodedImage", "decode_image", "read_image_file"]
