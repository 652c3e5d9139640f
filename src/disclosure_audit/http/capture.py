"""The capture store: every response fetched, kept byte for byte in rolling WARC files."""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from disclosure_audit.errors import DisclosureAuditError

DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
# The body kept is the payload as the client received it (de-chunked, decompressed): these headers
# would describe a transfer the archive no longer holds.
_TRANSFER_HEADERS = {"transfer-encoding", "content-encoding", "content-length"}
_REASONS = {
    200: "OK",
    304: "Not Modified",
    404: "Not Found",
    429: "Too Many Requests",
    521: "Web Server Is Down",
}


@dataclass(frozen=True)
class CaptureRow:
    """Where one fetched response is archived: the row core.captures keeps for it."""

    url: str
    fetched_at: datetime
    status: int
    content_type: str | None
    sha256: str
    bytes: int
    warc_file: str
    warc_offset: int
    warc_length: int
    server_date: datetime | None = None
    elapsed_ms: int | None = None  # how long the request took on the wire


class Fetched(Protocol):
    """What the capture store needs of a fetched response (the HTTP client's result)."""

    url: str
    status: int
    headers: Any
    body: bytes
    fetched_at: datetime


def data_dir(project_root: Path | None = None) -> Path:
    """Where captures live: DISCLOSURE_DATA_DIR, else .local/data under the project root."""
    from disclosure_audit import locations

    return locations.data_dir(project_root)


class CaptureWriteError(DisclosureAuditError):
    """The capture archive could not be written (disk full, not writable): the crawl stops, nothing of the
    response is recorded."""

    def __init__(self, path: Path, url: str, exc: OSError) -> None:
        self.path = path
        self.url = url
        super().__init__(
            f"无法写入存档 cannot write the capture archive {path}: {exc.strerror or exc} (errno {exc.errno}). "
            f"Expected a writable data directory with free space (DISCLOSURE_DATA_DIR); the answer for {url} "
            "was not recorded and the crawl stopped here. Free space or fix the permissions, then crawl again: "
            "nothing read so far is lost."
        )


class CaptureWriter:
    """Writes one WARC response record (plus its request) per fetched response, thread-safely.

    Files roll over at `max_file_bytes`; each record is its own gzip member, so a record can be
    read back from its offset alone. Rows for Postgres accumulate until `take_rows()`.
    """

    def __init__(self, root: Path, run_id: int, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        self.root = root
        self.run_id = run_id
        self.max_file_bytes = max_file_bytes
        self._dir = root / "warc" / f"run-{run_id:06d}"
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CaptureWriteError(self._dir, "(none yet)", exc) from exc
        self._lock = threading.Lock()
        self._seq = 0
        self._fh: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._rows: list[CaptureRow] = []
        self.records = 0
        self.bytes_written = 0
        self._offset_before: int | None = None

    def _open_next(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._seq += 1
        self._path = self._dir / f"capture-{self.run_id:06d}-{self._seq:05d}.warc.gz"
        self._fh = open(self._path, "ab")  # noqa: SIM115 - kept open across records, closed in close()

    def record(self, result: Fetched) -> CaptureRow:
        """Archive one response; returns its row (also kept for `take_rows`).

        A write that fails (disk full, directory not writable) raises CaptureWriteError after cutting the
        partial record off the file: no row is kept for it, so nothing is ever recorded without its capture.
        """
        with self._lock:
            self._offset_before = None
            try:
                return self._write(result)
            except OSError as exc:
                self._abandon_file()
                raise CaptureWriteError(self._path or self._dir, result.url, exc) from exc

    def _abandon_file(self) -> None:
        """After a failed write: stop using the file and cut the partial record off it (when possible)."""
        fh, self._fh = self._fh, None
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()
        if self._path is not None and self._offset_before is not None:
            with contextlib.suppress(OSError), open(self._path, "r+b") as raw:
                raw.truncate(self._offset_before)

    def _write(self, result: Fetched) -> CaptureRow:
        body = result.body or b""
        sha = hashlib.sha256(body).hexdigest()
        items = result.headers.items() if hasattr(result.headers, "items") else result.headers
        headers = [(k, v) for k, v in items if k.lower() not in _TRANSFER_HEADERS]
        headers.append(("Content-Length", str(len(body))))
        status_line = f"{result.status} {_REASONS.get(result.status, 'Status')}"
        fetched_at = result.fetched_at.astimezone(UTC)
        warc_date = fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        warc_headers = {"WARC-Date": warc_date, "WARC-Payload-Digest-SHA256": sha}
        if getattr(result, "truncated", False):
            warc_headers["WARC-Truncated"] = "length"  # the client read only the first bytes on purpose
        if self._fh is None or self._fh.tell() >= self.max_file_bytes:
            self._open_next()
        assert self._fh is not None and self._path is not None
        writer = WARCWriter(self._fh, gzip=True)
        offset = self._offset_before = self._fh.tell()
        response = writer.create_warc_record(
            result.url,
            "response",
            payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(status_line, headers, protocol="HTTP/1.1"),
            warc_headers_dict=warc_headers,
        )
        writer.write_record(response)
        length = self._fh.tell() - offset
        request_headers = getattr(result, "request_headers", None) or {}
        method = getattr(result, "method", "GET")
        if request_headers:
            request = writer.create_warc_record(
                result.url,
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(
                    f"{method} {_path_of(result.url)} HTTP/1.1", list(request_headers.items()), is_http_request=True
                ),
                warc_headers_dict={
                    "WARC-Date": warc_date,
                    "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                },
            )
            writer.write_record(request)
        self._fh.flush()
        self.records += 1
        self.bytes_written += len(body)
        content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        row = CaptureRow(
            url=result.url,
            fetched_at=fetched_at,
            status=result.status,
            content_type=content_type,
            sha256=sha,
            bytes=len(body),
            warc_file=str(self._path.relative_to(self.root)),
            warc_offset=offset,
            warc_length=length,
            server_date=getattr(result, "server_date", None),
            elapsed_ms=_milliseconds(getattr(result, "elapsed", None)),
        )
        self._rows.append(row)
        return row

    def take_rows(self) -> list[CaptureRow]:
        """The rows recorded since the last call (to insert with the data they back)."""
        with self._lock:
            rows, self._rows = self._rows, []
            return rows

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class ArchivedResponse:
    """One response read back from its WARC record."""

    url: str
    date: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def read_capture(root: Path, warc_file: str, offset: int) -> ArchivedResponse:
    """Read the response record at `offset` of `warc_file` (relative to the data directory)."""
    path = root / warc_file
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    break
                status = int(record.http_headers.get_statuscode())
                return ArchivedResponse(
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    date=record.rec_headers.get_header("WARC-Date"),
                    status=status,
                    headers=list(record.http_headers.headers),
                    body=record.content_stream().read(),
                )
    except FileNotFoundError:
        raise FileNotFoundError(
            f"capture file {path} is missing (expected under the data directory {root}; "
            "set DISCLOSURE_DATA_DIR if the captures were moved)"
        ) from None
    raise ValueError(f"no WARC response record at offset {offset} of {path}")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _milliseconds(seconds: object) -> int | None:
    return int(round(seconds * 1000)) if isinstance(seconds, (int, float)) else None
