"""Rules for file paths inside a release."""

import unicodedata
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.utils.http import RFC3986_SUBDELIMS

MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 1024


def normalize_path(raw: str) -> str:
    """The canonical form of a file path in a release (NFC), or ValidationError saying why not.

    Paths are relative, '/'-separated, without empty, '.' or '..' segments, backslashes or
    control characters, at most 255 bytes a segment and 1,024 bytes in all (UTF-8).
    """
    if not isinstance(raw, str):
        raise ValidationError("The file path must be text.")
    if raw == "":
        raise ValidationError("The file path is empty.")
    path = unicodedata.normalize("NFC", raw)
    if path.startswith("/"):
        raise ValidationError(f"“{path}”: paths are relative to the release; drop the leading /.")
    if "\\" in path:
        raise ValidationError(f"“{path}”: use / to separate folders, not backslash (\\).")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in path):
        raise ValidationError("The file path contains control characters.")
    if len(path.encode()) > MAX_PATH_BYTES:
        raise ValidationError(f"The file path is longer than {MAX_PATH_BYTES} bytes.")
    for segment in path.split("/"):
        if segment == "":
            raise ValidationError(f"“{path}” has an empty folder name (// or a trailing /).")
        if segment in (".", ".."):
            raise ValidationError(f"“{path}”: '.' and '..' are not allowed in paths.")
        if segment != segment.strip():
            raise ValidationError(f"“{path}”: names cannot start or end with a space.")
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            raise ValidationError(f"“{segment[:40]}…” is longer than {MAX_SEGMENT_BYTES} bytes.")
    return path


def url_path(path: str) -> str:
    """A file path as `reverse` writes it in a URL, for pages that print many links and build
    them from a prefix reversed once (reversing each costs more than the rest of its row)."""
    return quote(path, safe=RFC3986_SUBDELIMS + "/~:@")
