"""check_evidence(): an upload is judged by its content before anything is stored.

No database: every file is built in memory (Pillow for images, PDFs written by hand).
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile
from PIL.PngImagePlugin import PngInfo

from evidence import files as evidence
from evidence.files import CheckedEvidence, EvidenceRejected, check_evidence

ORIENTATION, MAKE, DATETIME_ORIGINAL = 0x0112, 0x010F, 0x9003
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
TAKEN_AT = "2026:03:06 10:18:00"
# Words that only the location metadata carries, so finding them in the output means a leak.
XMP_WITH_LOCATION = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'exif:GPSLatitude="52,22.083N" photoshop:City="Amsterdam"/></rdf:RDF></x:xmpmeta>'
)


# --- building files ----------------------------------------------------------------------


def noise_image(size: tuple[int, int] = (48, 32), mode: str = "RGB", seed: int = 7) -> Image.Image:
    """Random pixels, so codecs cannot cheat and pixel comparisons mean something."""
    channels = len(mode) if mode != "P" else 1
    pixels = random.Random(seed).randbytes(size[0] * size[1] * channels)
    return Image.frombytes(mode, size, pixels)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def exif_with_location() -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "Apple"
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = TAKEN_AT
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (52.0, 22.0, 5.0), 3: "E", 4: (4.0, 53.0, 7.0), 6: 12.5}
    )
    return exif


def photo_with_location(fmt: str) -> bytes:
    """A photo carrying location in EXIF GPS, in XMP, and in the format's own free text."""
    image = noise_image()
    if fmt == "JPEG":
        return encode(
            image, "JPEG", exif=exif_with_location(), xmp=XMP_WITH_LOCATION, comment=b"Amsterdam"
        )
    if fmt == "PNG":
        text = PngInfo()
        text.add_itxt("XML:com.adobe.xmp", XMP_WITH_LOCATION.decode())
        text.add_text("Location", "Amsterdam")
        return encode(image, "PNG", exif=exif_with_location(), pnginfo=text)
    return encode(image, "WEBP", exif=exif_with_location(), xmp=XMP_WITH_LOCATION)


def bilevel_png(width: int, height: int) -> bytes:
    """An all-black 1-bit PNG written row by row: huge in pixels, small on disk (a bomb)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(1)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def pdf(*objects: bytes, catalog: bytes = b"", tail: bytes = b"\n") -> bytes:
    """A one-page PDF with a correct xref; `objects` are numbered from 5 on."""
    content = b"BT /F1 12 Tf 20 100 Td (Withdrawal 1520.35 USDT) Tj ET"
    numbered = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        stream(b"", content),
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(numbered, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(numbered) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF" % (
        len(numbered) + 1,
        xref,
    )
    return bytes(out) + tail


def stream(dictionary: bytes, data: bytes, *, length: bytes | None = None) -> bytes:
    length = b"%d" % len(data) if length is None else length
    return b"<< %s /Length %s >>\nstream\n%s\nendstream" % (dictionary, length, data)


def object_stream(objects: bytes, *, filters: bytes = b"/FlateDecode", **kwargs: bytes) -> bytes:
    """An object stream holding object 7, compressed so its names are not visible in the file."""
    index = b"7 0 "
    data = zlib.compress(index + objects) if filters == b"/FlateDecode" else index + objects
    dictionary = b"/Type /ObjStm /N 1 /First %d /Filter %s" % (len(index), filters)
    return stream(dictionary, data, **kwargs)


def deflate_with_stored_start(stored: bytes, compressed: bytes) -> bytes:
    """A zlib stream whose first block is stored, so its bytes appear in the file as they are."""
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    rest = raw_deflate.compress(compressed) + raw_deflate.flush()
    block = b"\x00" + struct.pack("<HH", len(stored), 0xFFFF ^ len(stored)) + stored
    return b"\x78\x01" + block + rest + struct.pack(">I", zlib.adler32(stored + compressed))


def upload(data: bytes, name: str = "evidence.bin") -> SimpleUploadedFile:
    # The client's header is deliberately wrong: it must never decide the type.
    return SimpleUploadedFile(name, data, content_type="text/html")


class CountingUpload:
    """Quacks like an UploadedFile, counts the bytes it hands out, may lie about its size.

    It does not go through UploadedFile's name setter, so names reach check_evidence raw,
    as a different upload handler could deliver them.
    """

    def __init__(self, data: bytes, name: str = "evidence.pdf", size: int | None = None) -> None:
        self._file = io.BytesIO(data)
        self.name = name
        self.size = len(data) if size is None else size
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self.bytes_read += len(chunk)
        return chunk

    def seek(self, position: int, whence: int = 0) -> int:
        return self._file.seek(position, whence)

    def chunks(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        self.seek(0)
        while chunk := self.read(chunk_size):
            yield chunk


def webp_chunks(data: bytes) -> list[bytes]:
    kinds, position = [], 12
    while position + 8 <= len(data):
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        kinds.append(data[position : position + 4])
        position += 8 + size + (size & 1)
    return kinds


def rejected(data: bytes | SimpleUploadedFile | CountingUpload, **options) -> EvidenceRejected:
    file = upload(data) if isinstance(data, bytes) else data
    with pytest.raises(EvidenceRejected) as caught:
        check_evidence(file, **options)
    return caught.value


@pytest.fixture
def no_pixel_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any pixel data is decoded: bombs must be refused from the header."""

    def refuse_to_decode(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_to_decode)


# --- accepted files ----------------------------------------------------------------------

ACCEPTED = [
    pytest.param(encode(noise_image(), "PNG"), "image/png", ".png", "PNG", id="png"),
    pytest.param(encode(noise_image(), "JPEG"), "image/jpeg", ".jpg", "JPEG", id="jpeg"),
    pytest.param(encode(noise_image(), "WEBP"), "image/webp", ".webp", "WEBP", id="webp"),
    pytest.param(pdf(), "application/pdf", ".pdf", None, id="pdf"),
]


@pytest.mark.parametrize(("data", "content_type", "extension", "pillow_format"), ACCEPTED)
def test_each_allowed_type_is_accepted_by_its_content(
    data: bytes, content_type: str, extension: str, pillow_format: str | None
) -> None:
    checked = check_evidence(upload(data, "upload.bin"))

    assert isinstance(checked, CheckedEvidence)
    assert (checked.content_type, checked.extension) == (content_type, extension)
    assert checked.sha256 == hashlib.sha256(checked.content).hexdigest()
    assert checked.size == len(checked.content)
    assert checked.original_name == "upload.bin" + extension
    if pillow_format:
        assert Image.open(io.BytesIO(checked.content)).format == pillow_format


def test_type_comes_from_the_content_not_the_name_or_header() -> None:
    checked = check_evidence(
        SimpleUploadedFile("receipt.pdf", encode(noise_image(), "PNG"), "application/pdf")
    )

    assert (checked.content_type, checked.extension) == ("image/png", ".png")
    # The shown name may not promise a PDF when the file is a PNG.
    assert checked.original_name == "receipt.pdf.png"


def test_a_pdf_is_stored_byte_for_byte() -> None:
    data = pdf(tail=b"\r\n")

    checked = check_evidence(upload(data, "statement.pdf"))

    assert checked.content == data
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.original_name == "statement.pdf"


# --- the hash a customer can check -------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_bytes_as_received_are_hashed_beside_the_stored_copy(fmt: str) -> None:
    data = photo_with_location(fmt)

    checked = check_evidence(upload(data, "photo"))

    # What the customer's own sha256sum prints, although the stored copy was re-encoded.
    assert checked.received_sha256 == hashlib.sha256(data).hexdigest()
    assert checked.received_size == len(data)
    assert checked.content != data
    assert checked.sha256 == hashlib.sha256(checked.content).hexdigest() != checked.received_sha256


def test_the_received_hash_is_taken_while_reading_in_chunks(monkeypatch) -> None:
    monkeypatch.setattr(evidence, "_READ_CHUNK", 1000)
    data = encode(noise_image((200, 120)), "PNG")
    assert len(data) > 10_000
    reads = []

    class Recording(CountingUpload):
        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            return super().read(size)

    checked = check_evidence(Recording(data, "big.png"))

    assert checked.received_sha256 == hashlib.sha256(data).hexdigest()
    assert len(reads) > 10 and max(reads) <= 1000  # streamed, never read whole at once


def test_a_pdf_received_and_stored_hashes_agree() -> None:
    data = pdf()
    checked = check_evidence(upload(data, "statement.pdf"))
    assert checked.received_sha256 == checked.sha256 == hashlib.sha256(data).hexdigest()


# --- location data -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_location_is_removed_and_other_exif_kept(fmt: str) -> None:
    data = photo_with_location(fmt)
    before = Image.open(io.BytesIO(data))
    assert before.getexif().get_ifd(GPS_IFD), "the test photo must start with a GPS IFD"

    checked = check_evidence(upload(data, "photo"))

    after = Image.open(io.BytesIO(checked.content))
    exif = after.getexif()
    assert GPS_IFD not in exif
    assert exif.get_ifd(GPS_IFD) == {}
    assert "xmp" not in after.info
    assert b"GPSLatitude" not in checked.content
    assert b"Amsterdam" not in checked.content  # JPEG comment, PNG text chunk, XMP city
    # Harmless metadata is evidence too, and the photo must still display upright.
    assert exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] == TAKEN_AT
    assert exif[ORIENTATION] == 6
    assert exif[MAKE] == "Apple"
    assert after.size == before.size


def test_jpeg_keeps_its_quantization_tables_so_screenshots_do_not_degrade() -> None:
    data = encode(noise_image((64, 64)), "JPEG", quality=35, subsampling=0)

    checked = check_evidence(upload(data))

    source = Image.open(io.BytesIO(data))
    stored = Image.open(io.BytesIO(checked.content))
    assert stored.quantization == source.quantization
    assert stored.layer == source.layer  # same chroma subsampling (4:4:4)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
def test_png_is_reencoded_losslessly(mode: str) -> None:
    image = noise_image(mode=mode)
    if mode == "P":
        image.putpalette(random.Random(1).randbytes(768))

    checked = check_evidence(upload(encode(image, "PNG")))

    stored = Image.open(io.BytesIO(checked.content))
    assert stored.mode == mode
    assert stored.tobytes() == image.tobytes()


def test_lossless_webp_stays_lossless() -> None:
    image = noise_image(mode="RGBA")

    checked = check_evidence(upload(encode(image, "WEBP", lossless=True, exact=True)))

    assert b"VP8L" in webp_chunks(checked.content)
    assert Image.open(io.BytesIO(checked.content)).tobytes() == image.tobytes()


def test_lossy_webp_stays_lossy() -> None:
    checked = check_evidence(upload(encode(noise_image(), "WEBP", quality=80)))

    assert b"VP8 " in webp_chunks(checked.content)
    assert b"VP8L" not in webp_chunks(checked.content)


def test_multi_picture_jpeg_keeps_only_its_primary_picture() -> None:
    primary, depth_map = noise_image((40, 30)), noise_image((20, 15), seed=2)
    data = encode(primary, "MPO", save_all=True, append_images=[depth_map], quality=70)
    assert Image.open(io.BytesIO(data)).n_frames == 2

    checked = check_evidence(upload(data))

    stored = Image.open(io.BytesIO(checked.content))
    assert (checked.content_type, stored.format, stored.size) == ("image/jpeg", "JPEG", (40, 30))
    assert getattr(stored, "n_frames", 1) == 1


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_images_are_refused(fmt: str) -> None:
    frames = [noise_image(seed=1), noise_image(seed=2)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)

    rejection = rejected(data)

    assert (rejection.code, rejection.http_status) == ("unsupported_type", 415)
    assert "animated" in rejection.message


# --- size --------------------------------------------------------------------------------


def test_a_file_declared_too_large_is_refused_without_reading_it() -> None:
    file = CountingUpload(pdf() + b" " * 5000)

    rejection = rejected(file, max_bytes=1000)

    assert (rejection.code, rejection.http_status) == ("too_large", 413)
    assert file.bytes_read == 0


def test_a_file_lying_about_its_size_is_read_at_most_one_byte_past_the_limit() -> None:
    file = CountingUpload(b"%PDF-" + b"x" * 5_000_000, size=10)

    rejection = rejected(file, max_bytes=100_000)

    assert rejection.code == "too_large"
    assert file.bytes_read == 100_001


def test_exactly_max_bytes_is_accepted_and_one_more_is_refused() -> None:
    data = pdf()

    assert check_evidence(CountingUpload(data, size=0), max_bytes=len(data)).size == len(data)
    assert rejected(CountingUpload(data, size=0), max_bytes=len(data) - 1).code == "too_large"


def test_limits_and_types_come_from_settings_when_not_given(settings) -> None:
    data = pdf()
    settings.EVIDENCE_MAX_BYTES = len(data) - 1
    assert rejected(data).code == "too_large"

    settings.EVIDENCE_MAX_BYTES = len(data)
    settings.EVIDENCE_ALLOWED_TYPES = ["image/png"]
    assert rejected(data).code == "unsupported_type"

    settings.EVIDENCE_MAX_BYTES = 1_000_000
    settings.EVIDENCE_MAX_PIXELS = 48 * 32 - 1
    assert rejected(encode(noise_image(), "PNG")).code == "too_many_pixels"


def test_an_empty_file_is_refused() -> None:
    rejection = rejected(upload(b"", "shot.png"))

    assert (rejection.code, rejection.http_status) == ("empty", 400)
    assert "shot.png" in rejection.message


def test_an_image_that_grows_past_the_limit_when_reencoded_is_refused() -> None:
    # Low-quality lossy WebP is re-encoded at quality 90, which takes far more bytes.
    data = encode(noise_image((128, 128)), "WEBP", quality=5)

    rejection = rejected(data, max_bytes=len(data))

    assert rejection.code == "too_large"


# --- types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "x.png", "HTML"),
        (b"\xef\xbb\xbf  <html><body>hi</body></html>", "x.pdf", "HTML"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "x.png", "SVG"),
        (b"Order 1734592210038, TXID 0x9f\xe2\x80\xa6\n", "x.pdf", "text"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, "x.png", "ZIP"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 40, "x.pdf", "executable"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "x.png", "executable"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "x.png", "GIF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "x.jpg", "HEIC"),
        (bytes(range(256)), "x.png", "unknown"),
    ],
)
def test_other_types_are_refused_with_415_saying_what_they_look_like(
    data: bytes, name: str, kind: str
) -> None:
    rejection = rejected(upload(data, name))

    assert (rejection.code, rejection.http_status) == ("unsupported_type", 415)
    assert f"“{name}”" in rejection.message
    assert kind in rejection.message
    assert "PNG, JPEG, WebP or PDF" in rejection.message


def test_a_recognised_type_that_is_not_allowed_is_refused() -> None:
    rejection = rejected(upload(pdf(), "s.pdf"), allowed_types=["image/png", "image/jpeg"])

    assert (rejection.code, rejection.http_status) == ("unsupported_type", 415)
    assert "is a PDF file" in rejection.message
    assert "PNG or JPEG" in rejection.message


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("too_large", 413),
        ("unsupported_type", 415),
        ("too_many_pixels", 400),
        ("corrupt", 400),
        ("active_content", 400),
        ("empty", 400),
    ],
)
def test_each_rejection_code_maps_to_its_http_status(code: str, status: int) -> None:
    rejection = EvidenceRejected(code, "message")

    assert (rejection.code, rejection.message, rejection.http_status) == (code, "message", status)


# --- broken images and bombs -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_truncated_image_is_corrupt(fmt: str) -> None:
    data = encode(noise_image((200, 200)), fmt)

    rejection = rejected(data[: len(data) // 2])

    assert (rejection.code, rejection.http_status) == ("corrupt", 400)


def test_a_file_that_starts_like_a_png_but_is_html_is_corrupt() -> None:
    rejection = rejected(b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>")

    assert rejection.code == "corrupt"


def test_data_hidden_after_the_image_is_not_stored() -> None:
    polyglot = encode(noise_image(), "PNG") + b"<script>alert(1)</script>"

    checked = check_evidence(upload(polyglot))

    assert b"<script>" not in checked.content


def test_a_bomb_under_pillows_own_limit_is_refused_from_its_header(no_pixel_decoding) -> None:
    # 48 megapixels of black: over our 40 MP setting, under Pillow's ~179 MP error.
    rejection = rejected(bilevel_png(8000, 6000))

    assert rejection.code == "too_many_pixels"
    assert "8000 × 6000" in rejection.message
    assert "40 megapixels" in rejection.message


def test_a_huge_bomb_is_refused_as_too_many_pixels(no_pixel_decoding) -> None:
    data = bilevel_png(30000, 30000)
    assert len(data) < 1_000_000  # 900 megapixels in under a megabyte

    assert rejected(data).code == "too_many_pixels"


def test_max_pixels_is_inclusive() -> None:
    data = encode(noise_image((10, 10)), "PNG")

    assert check_evidence(upload(data), max_pixels=100).content_type == "image/png"
    assert rejected(data, max_pixels=99).code == "too_many_pixels"


# --- PDFs --------------------------------------------------------------------------------

SCRIPT = b"<< /S /JavaScript /JS (app.alert(1)) >>"


@pytest.mark.parametrize(
    ("catalog", "action"),
    [
        pytest.param(b"/OpenAction 5 0 R", SCRIPT, id="javascript"),
        pytest.param(b"/OpenAction 5 0 R", b"<< /S /J#61vaScript /J#53 (x) >>", id="escaped"),
        # Only the /JS key names the script here, and it is escaped too.
        pytest.param(b"/AA << /O 5 0 R >>", b"<< /#4AS (app.alert(1)) >>", id="js-key-only"),
        pytest.param(b"/OpenAction 5 0 R", b"<< /S /L#61unch /F (calc.exe) >>", id="launch"),
        pytest.param(b"/Names 5 0 R", b"<< /EmbeddedFiles << /Names [] >> >>", id="embedded"),
        pytest.param(b"", b"<< /Type /Annot /Subtype /RichMedia >>", id="rich-media"),
        pytest.param(b"/AcroForm 5 0 R", b"<< /Fields [] /XFA 6 0 R >>", id="xfa"),
    ],
)
def test_pdfs_with_active_content_are_refused(catalog: bytes, action: bytes) -> None:
    rejection = rejected(upload(pdf(action, catalog=catalog), "statement.pdf"))

    assert (rejection.code, rejection.http_status) == ("active_content", 400)
    assert "“statement.pdf”" in rejection.message
    assert "print it to PDF again" in rejection.message


@pytest.mark.parametrize("length", [None, b"6 0 R"], ids=["direct-length", "indirect-length"])
def test_scripts_inside_compressed_object_streams_are_found(length: bytes | None) -> None:
    compressed_length = b"%d" % len(zlib.compress(b"7 0 " + SCRIPT))
    data = pdf(
        object_stream(SCRIPT, length=length), compressed_length, catalog=b"/OpenAction 7 0 R"
    )
    assert b"JavaScript" not in data  # visible only once the stream is inflated

    assert rejected(data).code == "active_content"


def test_a_fake_endstream_inside_compressed_data_does_not_hide_a_script() -> None:
    # The length is indirect, so only the "endstream" keyword could mark the end of the body,
    # and the stored block spells that keyword before the compressed script.
    visible, hidden = b"7 0 << /Note (endstream) ", SCRIPT.removeprefix(b"<< ")
    body = deflate_with_stored_start(visible, hidden)
    assert zlib.decompress(body) == visible + hidden
    object_stream = stream(
        b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", body, length=b"6 0 R"
    )
    data = pdf(object_stream, b"%d" % len(body), catalog=b"/OpenAction 7 0 R")
    assert b"JavaScript" not in data

    assert rejected(data).code == "active_content"


def test_an_object_stream_that_cannot_be_read_is_refused() -> None:
    lzw = pdf(object_stream(b"<< /Type /Font >>", filters=b"/LZWDecode"))
    encrypted = pdf(stream(b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", b"\x9a\x13" * 40))

    assert rejected(lzw).code == "corrupt"
    assert rejected(encrypted).code == "corrupt"


def test_an_object_stream_inflating_past_the_budget_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real budget is 64 MiB; a small one keeps the zip bomb in this test small too.
    monkeypatch.setattr(evidence, "_OBJECT_STREAMS_INFLATED_MAX", 10_000)
    fonts = b"<< /Type /Font >>" + b" " * 9_000

    assert check_evidence(upload(pdf(object_stream(fonts)))).content_type == "application/pdf"
    assert rejected(pdf(object_stream(fonts + b" " * 1_000))).code == "corrupt"


def test_harmless_pdf_features_are_accepted() -> None:
    data = pdf(
        # An open action that shows page one, a compressed object stream, and image bytes
        # that happen to spell "/JS": none of these is a script.
        object_stream(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        stream(b"/Type /XObject /Subtype /Image /Filter /DCTDecode", b"\xff\xd8/JS \x01\xff\xd9"),
        catalog=b"/OpenAction [3 0 R /Fit]",
    )

    assert check_evidence(upload(data)).content == data


@pytest.mark.parametrize(
    ("data", "accepted"),
    [
        pytest.param(pdf(tail=b""), True, id="ends-at-eof"),
        pytest.param(pdf(tail=b"\n" + b"\x00" * 1023), True, id="1-KB-after-eof"),
        pytest.param(pdf(tail=b"\n" + b"\x00" * 1024), False, id="more-after-eof"),
        pytest.param(pdf()[:-200], False, id="truncated"),
    ],
)
def test_a_pdf_must_end_with_eof(data: bytes, accepted: bool) -> None:
    if accepted:
        assert check_evidence(upload(data)).content == data
    else:
        assert rejected(data).code == "corrupt"


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_name", "shown"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\me\\Desktop\\shot.png", "shot.png"),
        ("bad\x00na\x1bme\r\n.png", "badname.png"),
        ("invoice\u202egnp.png", "invoicegnp.png"),
        ("转账截图 2026-03-06.png", "转账截图 2026-03-06.png"),
        ("Screenshot.PNG", "Screenshot.PNG"),
        ("report.html", "report.html.png"),
        ("", "evidence.png"),
        ("../", "evidence.png"),
        ("  \t", "evidence.png"),
    ],
)
def test_the_shown_name_is_sanitized(raw_name: str, shown: str) -> None:
    checked = check_evidence(CountingUpload(encode(noise_image(), "PNG"), name=raw_name))

    assert checked.original_name == shown


def test_a_long_name_is_trimmed_to_200_characters_keeping_its_extension() -> None:
    checked = check_evidence(upload(encode(noise_image(), "PNG"), "截" * 496 + ".png"))

    assert len(checked.original_name) == 200
    assert checked.original_name == "截" * 196 + ".png"


def test_a_django_upload_with_a_path_in_its_name_shows_only_the_basename() -> None:
    checked = check_evidence(upload(encode(noise_image(), "PNG"), "../../etc/passwd.png"))

    assert checked.original_name == "passwd.png"
