"""The allow-list: formats told by their signature, never their name, and refused by name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from picsift.config import Settings
from picsift.errors import ImageError, UnsupportedImageError
from picsift.imaging.decode import check_format
from picsift.imaging.formats import DEFAULT_FORMATS, sniff
from tests.imaging.samples import allowed_samples, refused_samples


@pytest.mark.parametrize("sample", allowed_samples(), ids=lambda s: s.format)
def test_accepted_formats_are_told_by_signature(sample) -> None:  # type: ignore[no-untyped-def]
    assert sniff(sample.data).format == sample.format
    assert check_format(sample.data, "x.bin", DEFAULT_FORMATS) == sample.format


@pytest.mark.parametrize("sample", refused_samples(), ids=lambda s: s.format)
def test_refused_formats_are_named_whatever_the_file_is_called(sample) -> None:  # type: ignore[no-untyped-def]
    assert sniff(sample.data).format == sample.format
    with pytest.raises(UnsupportedImageError) as info:
        check_format(sample.data, "holiday.png", DEFAULT_FORMATS)
    reason = info.value.reason
    assert reason.startswith("not a supported image: the file is ")
    assert sample.reason in reason.lower() and "PICSIFT_IMAGE_FORMATS" in reason


def test_empty_input_is_broken_not_unsupported() -> None:
    with pytest.raises(ImageError) as info:
        check_format(b"", "a.jpg", DEFAULT_FORMATS)
    assert not isinstance(info.value, UnsupportedImageError)


def test_a_narrower_list_refuses_the_rest() -> None:
    gif = next(s for s in allowed_samples() if s.format == "GIF")
    with pytest.raises(UnsupportedImageError, match="the file is GIF"):
        check_format(gif.data, "a.gif", ("JPEG", "PNG"))


def test_the_list_is_a_setting_with_a_safe_default() -> None:
    assert tuple(Settings().image_formats) == DEFAULT_FORMATS
    assert Settings(image_formats="jpeg, png,QOI").image_formats == ["JPEG", "PNG", "QOI"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("JPEG,EPS", "EPS can never be allowed"),
        ("PDF", "PDF can never be allowed"),
        ("JPEG,BOGUS", "unknown or unsupported image formats ['BOGUS']"),
        ("", "empty"),
    ],
)
def test_unsafe_or_unknown_formats_are_refused_at_start(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Settings(image_formats=value)


def test_text_and_documents_keep_their_plain_reasons() -> None:
    cases = {
        b"%PDF-1.4\n": "not an image: the file is a PDF document",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>": "not a supported image: the file is SVG text",
        b"hello there\n": "not an image: the file is plain text",
        b"\x00\x01\x02\x03\xfe" * 8: "not a recognised image format",
    }
    for data, reason in cases.items():
        with pytest.raises(UnsupportedImageError) as info:
            check_format(data, "x", DEFAULT_FORMATS)
        assert info.value.reason == reason
