"""Check an uploaded evidence file by its content before anything is stored (DESIGN.md, Evidence).

No database access: `check_evidence()` takes an upload and either returns what may be
stored or raises `EvidenceRejected` with a message the customer can act on;
`check_files()` does it for a submission's files, as a field error.

Decisions worth knowing:
- The type comes from the content's magic bytes only; the name and the client's header
  are ignored.
- Images are decoded for real and re-encoded. Re-encoding is what removes location data
  and also drops anything smuggled after the image data (polyglots).
- Animated PNG and WebP are refused rather than cut to one frame: a still taken silently
  from an animation would not be the evidence the customer meant to give.
- Multi-picture JPEGs (MPO, what many phones write) keep their primary picture; the extra
  pictures (depth maps, previews with their own metadata) are dropped.
- Metadata kept: EXIF without location (so Orientation and DateTimeOriginal survive) and
  the ICC colour profile. Dropped: the GPS IFD, XMP, IPTC, maker notes, the EXIF
  thumbnail, JPEG comments and PNG text chunks, because any of them can carry a place.
- A re-encoded image must still fit in max_bytes, so what is stored never exceeds the
  limit the customer was told about.
- PDFs are stored byte for byte. They are scanned for scripts, launch actions, embedded
  files, rich media and XFA forms, including inside compressed object streams; a PDF
  whose object streams cannot be read (encrypted, or an unusual filter) is refused,
  since it cannot be checked.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import ExifTags, Image, JpegImagePlugin

RejectionCode = Literal[
    "too_large", "unsupported_type", "too_many_pixels", "corrupt", "active_content", "empty"
]


class EvidenceRejected(Exception):
    """An upload that cannot become evidence, with a message that says what to do instead."""

    _STATUS: ClassVar[dict[str, int]] = {"too_large": 413, "unsupported_type": 415}

    def __init__(self, code: RejectionCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = self._STATUS.get(code, 400)


@dataclass(frozen=True)
class CheckedEvidence:
    """What to store: `content` (re-encoded for images) and its hash, beside the hash and size
    of the bytes exactly as they were received, which is what a customer's own `sha256sum`
    of their file prints."""

    # Kept out of repr so a logged or printed result does not dump megabytes.
    content: bytes = field(repr=False)
    content_type: str
    extension: str
    sha256: str
    size: int
    original_name: str
    received_sha256: str
    received_size: int


PNG, JPEG, WEBP, PDF = "image/png", "image/jpeg", "image/webp", "application/pdf"

# Canonical order, so messages list the accepted types the same way every time.
_LABELS = {PNG: "PNG", JPEG: "JPEG", WEBP: "WebP", PDF: "PDF"}
_EXTENSIONS = {PNG: ".png", JPEG: ".jpg", WEBP: ".webp", PDF: ".pdf"}
# Name endings a customer may already use for a type; anything else gets the real one added.
_NAME_SUFFIXES = {
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    WEBP: (".webp",),
    PDF: (".pdf",),
}
_PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", WEBP: "WEBP"}

_READ_CHUNK = 64 * 1024
_NAME_MAX = 200


def check_evidence(
    upload: UploadedFile,
    *,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    allowed_types: list[str] | None = None,
) -> CheckedEvidence:
    """Return what to store for `upload`, or raise EvidenceRejected. None means the setting."""
    max_bytes = settings.EVIDENCE_MAX_BYTES if max_bytes is None else max_bytes
    max_pixels = settings.EVIDENCE_MAX_PIXELS if max_pixels is None else max_pixels
    if allowed_types is None:
        allowed_types = settings.EVIDENCE_ALLOWED_TYPES
    allowed = [t for t in _LABELS if t in {a.strip().lower() for a in allowed_types}]
    raw_name = upload.name or ""
    name = _display_name(raw_name)

    data, received = _read_bounded(upload, max_bytes, name)
    if not data:
        raise EvidenceRejected(
            "empty", _("“%(name)s” is empty. Choose the file again.") % {"name": name}
        )

    content_type = _detect_type(data)
    if content_type is None:
        raise EvidenceRejected(
            "unsupported_type",
            _(
                "“%(name)s” is not a %(allowed)s file (it looks like %(kind)s). "
                "Attach a screenshot or a document in one of those formats instead."
            )
            % {"name": name, "allowed": _allowed_list(allowed), "kind": _describe(data)},
        )
    name = _display_name(raw_name, content_type)
    if content_type not in allowed:
        raise EvidenceRejected(
            "unsupported_type",
            _(
                "“%(name)s” is a %(kind)s file, which is not accepted here. "
                "Attach a %(allowed)s file instead."
            )
            % {"name": name, "kind": _LABELS[content_type], "allowed": _allowed_list(allowed)},
        )

    if content_type == PDF:
        _check_pdf(data, name)
        content = data
    else:
        content = _clean_image(data, content_type, name, max_pixels)
        if len(content) > max_bytes:
            raise _too_large(name, max_bytes)

    return CheckedEvidence(
        content=content,
        content_type=content_type,
        extension=_EXTENSIONS[content_type],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        original_name=name,
        received_sha256=received,
        received_size=len(data),
    )


def check_files(files: Iterable[UploadedFile], *, field: str = "files") -> list[CheckedEvidence]:
    """Check every file before anything is stored, so a refused upload leaves no trace."""
    checked = []
    for upload in files:
        try:
            checked.append(check_evidence(upload))
        except EvidenceRejected as rejection:
            raise ValidationError(
                {field: ValidationError(rejection.message, code=rejection.code)}
            ) from rejection
    return checked


# --- reading -----------------------------------------------------------------------------


def _read_bounded(upload: UploadedFile, max_bytes: int, name: str) -> tuple[bytes, str]:
    """The upload's bytes and their SHA-256, hashed chunk by chunk as they are read."""
    # A declared size over the limit is enough to refuse without reading; a declared size
    # under it proves nothing (some clients lie), so the bytes actually read are counted.
    if upload.size is not None and upload.size > max_bytes:
        raise _too_large(name, max_bytes)
    upload.seek(0)
    buffer = bytearray()
    received = hashlib.sha256()
    # Never ask for more than one byte past the limit: that byte is enough to know.
    while len(buffer) <= max_bytes:
        chunk = upload.read(min(_READ_CHUNK, max_bytes + 1 - len(buffer)))
        if not chunk:
            break
        buffer += chunk
        received.update(chunk)
    if len(buffer) > max_bytes:
        raise _too_large(name, max_bytes)
    return bytes(buffer), received.hexdigest()


def _too_large(name: str, max_bytes: int) -> EvidenceRejected:
    return EvidenceRejected(
        "too_large",
        _(
            "“%(name)s” is larger than %(limit)s. Attach a smaller file, "
            "for example a cropped screenshot or fewer pages."
        )
        % {"name": name, "limit": filesizeformat(max_bytes)},
    )


# --- names -------------------------------------------------------------------------------

# Bidirectional controls can make "gnp.exe" display as "exe.png"; zero-width joiners stay
# because Persian names and emoji need them.
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _display_name(raw: str, content_type: str | None = None) -> str:
    """The customer's file name made safe to show; it never reaches the filesystem."""
    name = unicodedata.normalize("NFC", raw)
    # Browsers on Windows may send a full path with backslashes.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        ch
        for ch in name
        if unicodedata.category(ch) not in {"Cc", "Zl", "Zp"} and ch not in _BIDI_CONTROLS
    ).strip()
    if name in {"", ".", ".."}:
        name = "evidence"
    suffix = ""
    if content_type is not None:
        if name.lower().endswith(_NAME_SUFFIXES[content_type]):
            name, dot, ext = name.rpartition(".")
            suffix = dot + ext
        else:
            # The name must not promise another type than the content: "statement.html"
            # holding a PDF becomes "statement.html.pdf".
            suffix = _EXTENSIONS[content_type]
    stem = name[: _NAME_MAX - len(suffix)].rstrip()
    return (stem or "evidence") + suffix


# --- types -------------------------------------------------------------------------------


def _detect_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def _allowed_list(allowed: list[str]) -> str:
    return str(get_text_list([_LABELS[t] for t in allowed], _("or")))


_KIND_EXECUTABLE = gettext_lazy("an executable program")
_KIND_ZIP = gettext_lazy("a ZIP archive")
_KIND_ARCHIVE = gettext_lazy("a compressed archive")
_KIND_GIF = gettext_lazy("a GIF image")
_KIND_HEIC = gettext_lazy("a HEIC photo")
_KIND_TIFF = gettext_lazy("a TIFF image")
_KIND_BMP = gettext_lazy("a BMP image")
_KIND_HTML = gettext_lazy("HTML")
_KIND_SVG = gettext_lazy("an SVG image")
_KIND_XML = gettext_lazy("an XML document")
_KIND_TEXT = gettext_lazy("text")
_KIND_UNKNOWN = gettext_lazy("an unknown type")

_PREFIX_KINDS = [
    (
        (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"),
        _KIND_EXECUTABLE,
    ),
    ((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"), _KIND_ZIP),
    ((b"\x1f\x8b", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c"), _KIND_ARCHIVE),
    ((b"GIF87a", b"GIF89a"), _KIND_GIF),
    ((b"II*\x00", b"MM\x00*"), _KIND_TIFF),
]
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _describe(data: bytes) -> str:
    """A cheap guess at what a refused file is, so the message can say it."""
    for prefixes, kind in _PREFIX_KINDS:
        if data.startswith(prefixes):
            return str(kind)
    if data[4:8] == b"ftyp" and data[8:12] in {b"heic", b"heix", b"mif1", b"msf1", b"hevc"}:
        return str(_KIND_HEIC)
    if data[:2] == b"BM" and data[6:10] == b"\x00\x00\x00\x00":
        return str(_KIND_BMP)
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        # SVG before HTML: an SVG with a <script> is still an SVG.
        if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
            return str(_KIND_SVG)
        if any(marker in head for marker in _HTML_MARKERS):
            return str(_KIND_HTML)
        if head.startswith(b"<?xml"):
            return str(_KIND_XML)
    # Incremental decoding tolerates a character cut in half at the end of the sample.
    try:
        sample = codecs.getincrementaldecoder("utf-8")().decode(data[:4096], final=False)
    except UnicodeDecodeError:
        return str(_KIND_UNKNOWN)
    return str(_KIND_UNKNOWN if _TEXT_CONTROLS.search(sample) else _KIND_TEXT)


# --- images ------------------------------------------------------------------------------

# Tags that can carry a place (or, for maker notes, opaque vendor data that sometimes does
# and that re-serializing breaks anyway). Everything else in EXIF is kept.
_DROPPED_EXIF_TAGS = {
    ExifTags.IFD.GPSInfo,
    ExifTags.Base.XMLPacket,
    ExifTags.Base.IPTCNAA,
    ExifTags.Base.ImageResources,
    ExifTags.Base.MakerNote,
}


def _clean_image(data: bytes, content_type: str, name: str, max_pixels: int) -> bytes:
    kind = _LABELS[content_type]
    corrupt = EvidenceRejected(
        "corrupt",
        _(
            "“%(name)s” could not be read as a %(kind)s image; it may be damaged or incomplete. "
            "Take the screenshot again, or attach it as a PDF."
        )
        % {"name": name, "kind": kind},
    )
    try:
        # Opening reads only the header; pixels are not decoded yet.
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[content_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own ceiling (far above ours) fired while reading the header.
        raise _too_many_pixels(name, max_pixels, None) from None
    except Exception:
        # Pillow's parsers raise many exception types on hostile input; all mean "not an image".
        raise corrupt from None

    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise _too_many_pixels(name, max_pixels, (width, height))
        if content_type != JPEG and getattr(image, "n_frames", 1) > 1:
            raise EvidenceRejected(
                "unsupported_type",
                _("“%(name)s” is an animated image. Attach a still screenshot or a PDF instead.")
                % {"name": name},
            )
        try:
            image.load()
            return _reencode(image, content_type, data)
        except Exception:
            raise corrupt from None


def _too_many_pixels(name: str, max_pixels: int, size: tuple[int, int] | None) -> EvidenceRejected:
    megapixels = f"{max_pixels / 1_000_000:g}"
    if size is None:
        message = _(
            "“%(name)s” has far too many pixels; images up to %(megapixels)s megapixels are "
            "accepted. Attach a smaller screenshot."
        ) % {"name": name, "megapixels": megapixels}
    else:
        message = _(
            "“%(name)s” is %(width)d × %(height)d pixels; "
            "images up to %(megapixels)s megapixels "
            "are accepted. Attach a smaller screenshot."
        ) % {"name": name, "width": size[0], "height": size[1], "megapixels": megapixels}
    return EvidenceRejected("too_many_pixels", message)


def _reencode(image: Image.Image, content_type: str, data: bytes) -> bytes:
    # Every piece of metadata is passed explicitly, so what is written does not depend on
    # which defaults a Pillow version carries over from the source (XMP, comments, ...).
    params: dict[str, Any] = {}
    if exif := _exif_without_location(image):
        params["exif"] = exif
    if icc := image.info.get("icc_profile"):
        params["icc_profile"] = icc
    if dpi := image.info.get("dpi"):
        params["dpi"] = dpi

    out = io.BytesIO()
    if content_type == JPEG:
        # What quality="keep" does, spelled out: Pillow refuses "keep" for multi-picture
        # JPEGs (format "MPO"), and the same tables keep a screenshot from degrading.
        image.save(
            out,
            "JPEG",
            qtables=image.quantization,
            subsampling=JpegImagePlugin.get_sampling(image),
            progressive=bool(image.info.get("progressive")),
            comment=b"",
            **params,
        )
    elif content_type == PNG:
        # zlib's fastest level: a 1280x800 screenshot encodes in 16 ms instead of 23 ms
        # (level 6, the default) for a file about 12 % larger; the pixels are the same.
        image.save(out, "PNG", compress_level=1, **params)
    elif _webp_is_lossless(data):
        image.save(out, "WEBP", lossless=True, exact=True, **params)
    else:
        image.save(out, "WEBP", quality=90, **params)
    return out.getvalue()


def _exif_without_location(image: Image.Image) -> bytes:
    """EXIF rebuilt from scratch with only the harmless tags, so nothing else can ride along."""
    try:
        source = image.getexif()
        clean = Image.Exif()
        for tag, value in source.items():
            if tag not in _DROPPED_EXIF_TAGS and tag != ExifTags.IFD.Exif:
                clean[tag] = value
        exif_ifd = {
            tag: value
            for tag, value in source.get_ifd(ExifTags.IFD.Exif).items()
            if tag not in _DROPPED_EXIF_TAGS and tag != ExifTags.IFD.Interop
        }
        if interop := source.get_ifd(ExifTags.IFD.Interop):
            exif_ifd[ExifTags.IFD.Interop] = dict(interop)
        if exif_ifd:
            clean[ExifTags.IFD.Exif] = exif_ifd
        return clean.tobytes() if len(clean) else b""
    except Exception:
        # EXIF Pillow cannot parse or write again is dropped whole: losing a timestamp is
        # better than refusing the screenshot, and nothing unparsed can carry a location.
        return b""


def _webp_is_lossless(data: bytes) -> bool:
    # The first image chunk decides: VP8L is the lossless codec, "VP8 " the lossy one.
    position = 12
    while position + 8 <= len(data):
        fourcc = data[position : position + 4]
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        position += 8 + size + (size & 1)
    return False


# --- PDF ---------------------------------------------------------------------------------

_PDF_WHITESPACE = rb"[\x00\t\n\x0c\r ]"
_PDF_DELIMITERS = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"
_NAME_CHARS = rb"[^" + _PDF_DELIMITERS + rb"]"
_NAME_END = rb"(?=[" + _PDF_DELIMITERS + rb"]|\Z)"
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_HEX_PAIRS = {
    (high + low).encode(): bytes.fromhex(high + low)
    for high in "0123456789abcdefABCDEF"
    for low in "0123456789abcdefABCDEF"
}
# Long enough that random bytes in compressed streams never spell them by chance.
_ACTIVE_NAMES = re.compile(
    rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia" + _NAME_CHARS + rb"*|XFA)" + _NAME_END
)
# "/JS" is three bytes: a 10 MB scan's image data would contain it now and then, so it is
# looked for only in dictionaries. A real script action also names /S /JavaScript, which
# _ACTIVE_NAMES finds anywhere; /OpenAction is only a threat when it leads to such a script.
_JS_KEY = re.compile(rb"/JS" + _NAME_END)
_STREAM_START = re.compile(rb">>" + _PDF_WHITESPACE + rb"*stream(?:\r\n|\n|\r)")
_DIRECT_LENGTH = re.compile(
    # "/Length 1234", but not "/Length 12 0 R" (a reference to a length stored elsewhere).
    rb"/Length[\x00\t\n\x0c\r ]+(\d++)(?![\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+R)"
)
_OBJECT_STREAM = re.compile(rb"/Type" + _PDF_WHITESPACE + rb"*/ObjStm" + _NAME_END)
_FILTER = re.compile(rb"/Filter" + _PDF_WHITESPACE + rb"*(\[[^\]]*\]|/" + _NAME_CHARS + rb"+)")
_DECODE_PARAMETERS = re.compile(rb"/DecodeParms" + _NAME_END)
_PDF_NAME = re.compile(rb"/(" + _NAME_CHARS + rb"+)")
_EOF_WINDOW = 2048
_EOF_TRAILING_ALLOWED = 1024
# Object streams hold dictionaries only; this bounds memory against a zip bomb inside one.
_OBJECT_STREAMS_INFLATED_MAX = 64 * 1024 * 1024


def _check_pdf(data: bytes, name: str) -> None:
    eof = data[-_EOF_WINDOW:].rfind(b"%%EOF")
    if eof < 0 or len(data[-_EOF_WINDOW:]) - (eof + len(b"%%EOF")) > _EOF_TRAILING_ALLOWED:
        raise EvidenceRejected(
            "corrupt",
            _(
                "“%(name)s” is not a complete PDF: its end is missing. "
                "Save or print it to PDF again and attach the new file."
            )
            % {"name": name},
        )

    active = EvidenceRejected(
        "active_content",
        _(
            "“%(name)s” contains scripts, actions or embedded files, which cannot be accepted "
            "in a PDF. Open it and print it to PDF again (“Print”, then “Save as PDF”), then "
            "attach the new file."
        )
        % {"name": name},
    )
    if _ACTIVE_NAMES.search(_normalize_names(data)):
        raise active
    dictionaries, object_streams = _split_streams(data)
    if _JS_KEY.search(dictionaries):
        raise active

    budget = _OBJECT_STREAMS_INFLATED_MAX
    for dictionary, body_start, body_end in object_streams:
        objects = _decode_object_stream(data, dictionary, body_start, body_end, budget)
        if objects is None:
            raise EvidenceRejected(
                "corrupt",
                _(
                    "“%(name)s” could not be checked for scripts: parts of it are encrypted "
                    "or stored in a way we cannot read. Print it to PDF again and attach the "
                    "new file."
                )
                % {"name": name},
            )
        budget -= len(objects)
        objects = _normalize_names(objects)
        if _ACTIVE_NAMES.search(objects) or _JS_KEY.search(objects):
            raise active


def _normalize_names(data: bytes) -> bytes:
    """Decode #xx escapes, so /J#61vaScript is found as /JavaScript.

    Escapes are decoded everywhere, not only inside names: that can add a match (refusing
    a file) but never hide one, and it runs in C instead of one Python call per name.
    """
    parts = _HEX_ESCAPE.split(data)
    parts[1::2] = map(_HEX_PAIRS.__getitem__, parts[1::2])
    return b"".join(parts)


def _split_streams(data: bytes) -> tuple[bytes, list[tuple[bytes, int, int]]]:
    """The text outside stream bodies (escapes decoded), and where object streams are."""
    outside: list[bytes] = []
    object_streams: list[tuple[bytes, int, int]] = []
    position = 0
    while match := _STREAM_START.search(data, position):
        body_start = match.end()
        # The text since the previous stream: other objects, then this stream's dictionary.
        # Reading all of it, and the last /Length and /Filter in it, cannot miss an entry of
        # this stream's dictionary, whatever strings or nested dictionaries come before.
        dictionary = _normalize_names(data[position:body_start])
        outside.append(dictionary)
        body_end = -1
        if lengths := _DIRECT_LENGTH.findall(dictionary):
            candidate = body_start + int(lengths[-1])
            if data[candidate : candidate + 32].lstrip().startswith(b"endstream"):
                body_end = candidate
        if body_end < 0:
            # Indirect or wrong /Length: the keyword is the only other marker of the end.
            body_end = data.find(b"endstream", body_start)
            if body_end < 0:
                body_end = len(data)
        if _OBJECT_STREAM.search(dictionary):
            object_streams.append((dictionary, body_start, body_end))
        position = body_end
    outside.append(_normalize_names(data[position:]))
    return b"".join(outside), object_streams


def _decode_object_stream(
    data: bytes, dictionary: bytes, body_start: int, body_end: int, budget: int
) -> bytes | None:
    """The objects an object stream holds, or None when they cannot be read safely."""
    if _DECODE_PARAMETERS.search(dictionary):
        # Predictors and similar parameters are not needed for object streams; a stream
        # using them is unusual enough to refuse rather than decode half-right.
        return None
    filters = _FILTER.findall(dictionary)
    if not filters:
        return None if b"/Filter" in dictionary else data[body_start:body_end]
    if _PDF_NAME.findall(filters[-1]) != [b"FlateDecode"]:
        return None
    # A deflate stream marks its own end, so the body is inflated until that end rather than
    # up to an "endstream" that crafted compressed bytes could fake early. Fed in pieces so
    # the input left over after the end is never copied whole.
    inflater = zlib.decompressobj()
    view = memoryview(data)
    pieces: list[bytes] = []
    remaining = budget
    try:
        for start in range(body_start, len(data), _READ_CHUNK):
            # One byte over the budget shows it is exceeded (and 0 would mean "no limit").
            piece = inflater.decompress(view[start : start + _READ_CHUNK], max(remaining, 0) + 1)
            remaining -= len(piece)
            if remaining < 0:
                return None
            pieces.append(piece)
            if inflater.eof:
                break
    except zlib.error:
        return None
    return b"".join(pieces)
