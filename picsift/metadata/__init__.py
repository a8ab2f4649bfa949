"""Reading and writing file metadata (XMP, IPTC, EXIF) through exiftool, never by hand."""
