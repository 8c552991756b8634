"""What a file is, from its content (magic bytes), never from its name.

A small detector for the formats mediation content comes in; no libmagic, no
dependency. `detect(path)` returns a `FileKind` or None (unknown, or refused:
HTML, SVG and other active content are never accepted). `extension_matches`
says whether a file name agrees with the detected kind.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileKind:
    code: str
    mime_type: str
    extensions: tuple[str, ...]  # lower case, with the dot; the first is canonical
    label: str  # short, not translated (format names)
    format: str  # the resource format it suggests (vocab.FORMATS)


KINDS = {
    k.code: k
    for k in (
        FileKind("pdf", "application/pdf", (".pdf",), "PDF", "texte"),
        FileKind("png", "image/png", (".png",), "PNG", "image"),
        FileKind("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG", "image"),
        FileKind("gif", "image/gif", (".gif",), "GIF", "image"),
        FileKind("webp", "image/webp", (".webp",), "WebP", "image"),
        FileKind("odt", "application/vnd.oasis.opendocument.text", (".odt",), "ODT", "texte"),
        FileKind("ods", "application/vnd.oasis.opendocument.spreadsheet", (".ods",), "ODS", "tableur"),
        FileKind("odp", "application/vnd.oasis.opendocument.presentation", (".odp",), "ODP", "diaporama"),
        FileKind("odg", "application/vnd.oasis.opendocument.graphics", (".odg",), "ODG", "image"),
        FileKind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            "DOCX",
            "texte",
        ),
        FileKind(
            "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "XLSX", "tableur"
        ),
        FileKind(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            (".pptx",),
            "PPTX",
            "diaporama",
        ),
        FileKind("epub", "application/epub+zip", (".epub",), "EPUB", "texte"),
        FileKind("zip", "application/zip", (".zip",), "ZIP", "archive"),
        FileKind("mp4", "video/mp4", (".mp4", ".m4v"), "MP4", "video"),
        FileKind("m4a", "audio/mp4", (".m4a",), "M4A", "audio"),
        FileKind("webm", "video/webm", (".webm",), "WebM", "video"),
        FileKind("ogg", "audio/ogg", (".ogg", ".oga", ".ogv", ".opus"), "Ogg", "audio"),
        FileKind("mp3", "audio/mpeg", (".mp3",), "MP3", "audio"),
        FileKind("text", "text/plain", (".txt", ".text"), "texte brut", "texte"),
        FileKind("markdown", "text/markdown", (".md", ".markdown"), "Markdown", "texte"),
        FileKind("csv", "text/csv", (".csv",), "CSV", "tableur"),
    )
}

ODF_MIMETYPES = {KINDS[c].mime_type: c for c in ("odt", "ods", "odp", "odg")} | {"application/epub+zip": "epub"}
OOXML_PARTS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"))
MP4_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
TEXT_SAMPLE = 64 * 1024
ACTIVE_TEXT = (b"<!doctype html", b"<html", b"<svg", b"<script", b"<?xml", b"<iframe", b"<body", b"<head")


def detect(path: str | Path, filename: str = "") -> FileKind | None:
    """The kind of the file at `path`, from its bytes. `filename` only chooses between
    kinds the bytes cannot tell apart (plain text, Markdown or CSV)."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(TEXT_SAMPLE)
    if not head:
        return None
    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return KINDS["jpeg"]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return KINDS["gif"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return KINDS["webp"]
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head[4:8] == b"ftyp":
        return KINDS["m4a"] if head[8:12] in MP4_AUDIO_BRANDS else KINDS["mp4"]
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return KINDS["webm"] if b"webm" in head[:64] else None  # other Matroska files are not accepted
    if head.startswith(b"OggS"):
        return KINDS["ogg"]
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return KINDS["mp3"]
    return _text_kind(head, filename)


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a known version and layer, a valid bitrate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer, bitrate = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11, head[2] >> 4
    return version != 0b01 and layer != 0b00 and bitrate not in (0b0000, 0b1111)


def _zip_kind(path: Path) -> FileKind | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared in ODF_MIMETYPES:
                    return KINDS[ODF_MIMETYPES[declared]]
            if "[Content_Types].xml" in names:
                for prefix, code in OOXML_PARTS:
                    if any(name.startswith(prefix) for name in names):
                        return KINDS[code]
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError):
        return None
    return KINDS["zip"]


def _text_kind(head: bytes, filename: str) -> FileKind | None:
    if b"\x00" in head:
        return None
    sample = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    try:
        # A sample may end inside a multi-byte character: tolerate only that.
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 3:
            return None
    if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in sample[:4096].decode("utf-8", "ignore")):
        return None
    lowered = sample.lstrip().lower()
    if any(lowered.startswith(tag) for tag in ACTIVE_TEXT) or b"<script" in lowered:
        return None  # markup that a browser would run or render: not plain text
    suffix = Path(filename or "").suffix.lower()
    for code in ("markdown", "csv"):
        if suffix in KINDS[code].extensions:
            return KINDS[code]
    return KINDS["text"]


def extension_matches(filename: str, kind: FileKind) -> bool | None:
    """True when the name's extension is one of the kind's, False when it names another
    type (the name lies), None when the name has no extension."""
    suffix = Path(filename or "").suffix.lower()
    if not suffix:
        return None
    return suffix in kind.extensions
