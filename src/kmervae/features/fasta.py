"""Streaming FASTA reader that checks its input and hands out sequence pieces.

The reader never holds more than a few hundred KiB of a file: short records come out whole,
a record longer than ``max_piece`` comes out in consecutive pieces. Sequence bytes are
translated to base codes in one ``bytes.translate`` call per record, which also deletes line
ends, so the counter never sees text.

Accepted without fuss: CRLF or CR line ends, blank lines, lower case, wrapped or unwrapped
sequence, descriptions after the ID (the contig name is the first word), gzip compression.
Everything else raises :class:`kmervae.errors.InputError` naming the file and record.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kmervae.errors import InputError

#: Base codes. Any code >= INVALID_WINDOW makes every window containing it uncounted.
A, C, G, T = 0, 1, 2, 3
AMBIGUOUS = 4
BAD_CHARACTER = 255

#: IUPAC nucleotide codes other than A/C/G/T, plus the gap sign: accepted, never counted.
IUPAC_AMBIGUOUS = b"NRYSWKMBDHVU-"

#: Whitespace removed from sequence lines.
SEQUENCE_WHITESPACE = b"\r\n \t\v\f"


def _code_table() -> bytes:
    table = bytearray([BAD_CHARACTER]) * 256
    for code, base in enumerate(b"ACGT"):
        table[base] = code
        table[base + 32] = code  # lower case
    for base in IUPAC_AMBIGUOUS:
        table[base] = AMBIGUOUS
        if 65 <= base <= 90:
            table[base + 32] = AMBIGUOUS
    return bytes(table)


#: ``bytes.translate`` table from FASTA sequence characters to base codes.
CODE_TABLE = _code_table()
_VALID_CHARACTERS = bytes(i for i in range(256) if CODE_TABLE[i] != BAD_CHARACTER)


@dataclass(slots=True)
class SequencePiece:
    """A run of base codes of one record: the whole record when ``first`` and ``last``."""

    name: str
    codes: bytes
    first: bool
    last: bool


#: the most bytes of one record held before it is passed on in pieces (counting memory
#: stays bounded whatever the record length)
MAX_PIECE = 512 * 1024

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"


def _open_binary(path: Path):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a FASTA file") from None
    except OSError as err:
        raise InputError(path, f"cannot be read: {err.strerror}") from None


@contextlib.contextmanager
def open_fasta_bytes(path: str | os.PathLike):
    """The decompressed bytes of a FASTA file, plain or gzipped.

    The file is opened once and its first bytes peeked, so pipes and process
    substitutions work too. Missing or unreadable files raise :class:`InputError`.
    """
    path = Path(path)
    with _open_binary(path) as raw:
        stream = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == GZIP_MAGIC else raw
        with stream:
            yield stream


def _raw_chunks(path: Path, chunk_size: int) -> Iterator[bytes]:
    with open_fasta_bytes(path) as stream:
        while True:
            try:
                chunk = stream.read(chunk_size)
            except (EOFError, gzip.BadGzipFile, zlib.error) as err:
                raise InputError(path, f"truncated or corrupt gzip data ({err})") from None
            if not chunk:
                return
            yield chunk


def first_bad_character(raw_sequence: bytes) -> str:
    """The first character of a sequence that is not IUPAC DNA, as shown to the user."""
    leftover = raw_sequence.translate(None, _VALID_CHARACTERS + SEQUENCE_WHITESPACE)
    char = leftover[:1]
    return repr(char.decode("latin-1")) if char else "?"


def _check_start(path: Path, head: bytes) -> None:
    stripped = head.lstrip()
    if not stripped:
        return
    if b"\x00" in head[:4096]:
        raise InputError(path, "contains binary data; not a FASTA file")
    first = stripped[:1]
    if first == b"@":
        raise InputError(path, "looks like FASTQ (first record starts with '@'); give FASTA")
    if first != b">":
        shown = stripped[:20].decode("latin-1", "replace")
        raise InputError(path, f"not FASTA: expected '>' at the start, found {shown!r}")


class FastaReader:
    """Iterate over a FASTA file as batches of :class:`SequencePiece`.

    Each iteration yields the list of pieces found in the next stretch of the file.
    ``max_piece`` bounds the bytes of one record held before it is passed on in pieces.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        chunk_size: int = 256 * 1024,
        max_piece: int = MAX_PIECE,
        allow_empty: bool = False,
    ):
        self.path = Path(path)
        self.allow_empty = allow_empty  # a chunk of a split file may hold no record
        self.chunk_size = chunk_size
        self.max_piece = max_piece
        self.n_records = 0
        self.bytes_read = 0
        self._names: set[str] = set()

    def _new_record(self, header: bytes) -> str:
        fields = header.split(None, 1)
        if not fields:
            raise InputError(
                self.path, f"record number {self.n_records + 1} has an empty name ('>' alone)"
            )
        name = fields[0].decode("utf-8", "replace")
        if name in self._names:
            raise InputError(self.path, "duplicate contig name", record=name)
        self._names.add(name)
        self.n_records += 1
        return name

    def _piece(self, name: str, raw: bytes, first: bool, last: bool) -> SequencePiece:
        codes = raw.translate(CODE_TABLE, SEQUENCE_WHITESPACE)
        if BAD_CHARACTER in codes:  # a C-level scan; the message needs the raw text
            raise InputError(
                self.path,
                f"character {first_bad_character(raw)} is not IUPAC DNA",
                record=name,
            )
        return SequencePiece(name, codes, first, last)

    def __iter__(self) -> Iterator[list[SequencePiece]]:
        buf = b""
        started = False
        name: str | None = None  # record being read, None between records
        first = True
        chunks = _raw_chunks(self.path, self.chunk_size)
        pending_cr = False
        while True:
            chunk = next(chunks, None)
            final = chunk is None
            if chunk is not None:
                self.bytes_read += len(chunk)
                if pending_cr and chunk.startswith(b"\n"):
                    chunk = chunk[1:]  # second half of a CRLF split between chunks
                pending_cr = chunk.endswith(b"\r")
                if b"\r" in chunk:
                    chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                buf += chunk
            if not started:
                if not final and len(buf.lstrip()) < 2:
                    continue
                buf = buf.removeprefix(UTF8_BOM)
                _check_start(self.path, buf)
                buf = buf.lstrip()
                if not buf:
                    if self.allow_empty:
                        return
                    raise InputError(self.path, "is empty: no FASTA records")
                started = True
            pieces: list[SequencePiece] = []
            pos = 0
            while True:
                if name is None:
                    # between records: skip blank lines, then expect a header
                    while pos < len(buf) and buf[pos] in b"\n \t":
                        pos += 1
                    if pos >= len(buf):
                        break
                    if buf[pos] != 0x3E:  # '>'
                        shown = buf[pos : pos + 20].decode("latin-1", "replace")
                        raise InputError(self.path, f"expected a '>' header line, found {shown!r}")
                    eol = buf.find(b"\n", pos)
                    if eol < 0:
                        if not final:
                            break
                        eol = len(buf)
                    name = self._new_record(buf[pos + 1 : eol])
                    first = True
                    # keep the header's newline: an empty record is then simply '\n>'
                    # next, also across a chunk boundary; translate() drops it
                    pos = eol
                # a single-byte search is a memchr, several times faster than b"\n>"
                nxt = buf.find(b">", pos)
                if nxt >= 0 and buf[nxt - 1] != 0x0A:
                    raise InputError(self.path, "character '>' is not IUPAC DNA", record=name)
                if nxt >= 0:
                    nxt -= 1
                    pieces.append(self._piece(name, buf[pos:nxt], first, True))
                    name = None
                    pos = nxt + 1
                    continue
                if final:
                    pieces.append(self._piece(name, buf[pos:], first, True))
                    name = None
                    pos = len(buf)
                    break
                if len(buf) - pos > self.max_piece:
                    # a long record: pass on what we have, keep the last byte in case it is
                    # the newline in front of the next '>'
                    keep = len(buf) - 1
                    pieces.append(self._piece(name, buf[pos:keep], first, False))
                    first = False
                    pos = keep
                break
            buf = buf[pos:]
            if pieces:
                yield pieces
            if final:
                break
        if self.n_records == 0 and not self.allow_empty:
            raise InputError(self.path, "contains no FASTA records")


@dataclass(slots=True)
class FastaRecord:
    """One record of a FASTA file as raw bytes.

    ``header`` is the whole header line (with ``>`` and its line end); ``sequence`` all
    sequence lines with their line ends, exactly as in the file.
    """

    name: str
    header: bytes
    sequence: bytes

    def bases(self) -> bytes:
        """The sequence without line ends or other whitespace."""
        return b"".join(self.sequence.split())


def iter_fasta_records(path: str | os.PathLike) -> Iterator[FastaRecord]:
    """Yield the records of a FASTA file (plain or gzipped) one at a time, as raw bytes,
    for writing them out unchanged (bin files) or reading trusted genomes; counting uses
    :class:`FastaReader`, which checks every character.

    The contig name is the first word of the header, as for the feature matrix.
    """
    path = Path(path)
    name = header = None
    lines: list[bytes] = []
    first = True
    try:
        with open_fasta_bytes(path) as stream:
            for line in stream:
                if first:
                    line = line.removeprefix(UTF8_BOM)
                    first = False
                if line.startswith(b">"):
                    if header is not None:
                        yield FastaRecord(name, header, b"".join(lines))
                    fields = line[1:].split(None, 1)
                    if not fields:
                        raise InputError(path, "a record has an empty name ('>' alone)")
                    name = fields[0].decode("utf-8", "replace")
                    header, lines = line, []
                elif header is None:
                    if line.strip():
                        shown = line[:20].decode("latin-1", "replace")
                        raise InputError(path, f"not FASTA: expected '>' first, found {shown!r}")
                else:
                    lines.append(line)
            if header is not None:
                yield FastaRecord(name, header, b"".join(lines))
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise InputError(path, f"truncated or corrupt gzip data ({err})") from None
