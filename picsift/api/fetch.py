"""``POST /describe?image_url=…``: fetch an image for the caller, without becoming a proxy.

Off unless ``PICSIFT_FETCH_URLS`` is on. A server that fetches what it is told can be turned
against its own network (SSRF), so: http and https only; the host must resolve to public
addresses, unless it (or its network) is in ``PICSIFT_FETCH_ALLOW``; a redirect is followed
only to the same host (and checked again); the body is cut at the upload limit and the whole
fetch at ``PICSIFT_FETCH_TIMEOUT`` seconds. Every refusal names the URL and the reason.

Known gap: the address is checked, then urllib resolves the name again to connect, so a DNS
answer that changes in between (rebinding) is not caught; an allow-list of public hosts only
is the safe configuration.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

from picsift.api.errors import ApiError
from picsift.api.uploads import safe_name
from picsift.config import Settings

MAX_REDIRECTS = 3
_CHUNK = 256 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _refuse(url: str, reason: str, status: int = 422) -> ApiError:
    return ApiError(status, "url_refused", f"image_url '{url[:200]}': {reason}")


def _allowed(host: str, address: IPAddress, allow: Sequence[str]) -> bool:
    for entry in allow:
        if entry.lower() == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def check_target(url: str, allow: Sequence[str]) -> str:
    """The URL's host when it may be fetched; raises naming the reason when it may not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise _refuse(url, "only http and https URLs are fetched")
    host = parts.hostname
    if not host:
        raise _refuse(url, "no host in the URL")
    if parts.username or parts.password:
        raise _refuse(url, "URLs with credentials are not fetched")
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        raise _refuse(url, f"cannot resolve {host} ({exc})") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global and not _allowed(host, address, allow):
            raise _refuse(
                url,
                f"{host} resolves to a non-public address ({address}); allow it with "
                "PICSIFT_FETCH_ALLOW if that is intended",
            )
    return host


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # 3xx comes back as an HTTPError; fetch_image decides what to follow


def fetch_image(url: str, settings: Settings) -> tuple[bytes, str]:
    """The bytes at ``url`` and a safe name for messages; ApiError on any refusal."""
    if not settings.fetch_urls:
        raise _refuse(url, "fetching URLs is off on this server (PICSIFT_FETCH_URLS)")
    deadline = time.monotonic() + settings.fetch_timeout
    opener = urllib.request.build_opener(_NoRedirects)
    first_host = check_target(url, settings.fetch_allow)
    for _ in range(MAX_REDIRECTS + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _refuse(url, f"timed out after {settings.fetch_timeout:g} s", 504)
        request = urllib.request.Request(url, headers={"User-Agent": "picsift"})
        try:
            with opener.open(request, timeout=remaining) as response:
                return _read(response, url, settings, deadline), safe_name(
                    urlsplit(url).path, "url"
                )
        except urllib.error.HTTPError as exc:
            if exc.code not in (301, 302, 303, 307, 308) or "Location" not in exc.headers:
                raise _refuse(url, f"the server answered {exc.code}", 502) from None
            target = urljoin(url, exc.headers["Location"])
            if urlsplit(target).hostname != first_host:
                raise _refuse(url, f"redirects to another host ({target[:200]})") from None
            check_target(target, settings.fetch_allow)
            url = target
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError | socket.timeout):
                raise _refuse(url, f"timed out after {settings.fetch_timeout:g} s", 504) from None
            raise _refuse(url, f"cannot fetch it ({reason})", 502) from None
    raise _refuse(url, f"more than {MAX_REDIRECTS} redirects")


def _read(response: object, url: str, settings: Settings, deadline: float) -> bytes:
    limit = settings.max_upload_bytes
    length = getattr(response, "headers", {}).get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise _refuse(url, f"it is over the limit of {limit:,} bytes", 413)
    chunks, total = [], 0
    while chunk := response.read(_CHUNK):  # type: ignore[attr-defined]
        total += len(chunk)
        if total > limit:
            raise _refuse(url, f"it is over the limit of {limit:,} bytes", 413)
        if time.monotonic() > deadline:
            raise _refuse(url, f"timed out after {settings.fetch_timeout:g} s", 504)
        chunks.append(chunk)
    return b"".join(chunks)
