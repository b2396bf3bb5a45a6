"""CSV files of consumption records, read as a stream: the header mapped to fields, each row
checked against the rules of a create, one `ParsedRow` or a list of `RowProblem`s per row.

No database and no web framework here: the service decides what the rows become. Memory is
bounded by one row (the file is never read whole).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any, NoReturn

from consumo.consumptions.models import UNIT_BY_KIND
from consumo.consumptions.service import check_period
from consumo.currencies import ISO_4217
from consumo.days import FIRST_DAY, LAST_DAY
from consumo.problems import ParamValue, UnprocessableContent

FIELDS = ("kind", "quantity", "period_start", "period_end", "cost", "cost_minor", "currency", "notes")
REQUIRED = ("quantity", "period_start", "period_end")
# Header names recognised for each field (compared without case, accents, spaces or punctuation).
HEADER_NAMES = {
    "kind": ("kind", "type", "tipo", "clase"),
    "quantity": ("quantity", "qty", "cantidad", "consumo", "consumption", "usage", "uso"),
    "period_start": ("periodstart", "start", "from", "startdate", "desde", "inicio", "fechainicio"),
    "period_end": ("periodend", "end", "to", "enddate", "hasta", "fin", "fechafin"),
    "cost": ("cost", "coste", "costo", "importe", "amount", "price", "precio"),
    "cost_minor": ("costminor", "costecentimos"),
    "currency": ("currency", "moneda", "divisa"),
    "notes": ("notes", "note", "notas", "nota", "comment", "comments", "comentario", "descripcion", "description"),
}
KIND_NAMES = {
    **{kind: kind for kind in UNIT_BY_KIND},
    "electricidad": "electricity",
    "luz": "electricity",
    "agua": "water",
    "datos": "mobile_data",
    "data": "mobile_data",
    "datosmoviles": "mobile_data",
    "mobiledata": "mobile_data",
    "voz": "voice",
    "llamadas": "voice",
    "mensajes": "sms",
}
MAX_QUANTITY = Decimal(1_000_000_000)
MAX_COST_MINOR = 10**14
MAX_NOTES = 1000
# Minor units per currency where they are not 2 (ISO 4217's exponent).
_EXPONENT = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"), 0),
    **dict.fromkeys(("XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
_SIGNATURES = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\x1f\x8b", b"GIF8", b"\xff\xd8\xff")
_FORMULA_ESCAPE = re.compile(r"^'[=+\-@\t\r]")


class FileRejected(UnprocessableContent):
    """The file as a whole cannot be read (not CSV, not UTF-8, no usable header)."""

    def __init__(
        self, detail: str, column: str = "body", *, code: str, params: dict[str, ParamValue] | None = None
    ) -> None:
        super().__init__(detail, field=column, code=code, params=params)


@dataclass(frozen=True)
class ReadOptions:
    columns: dict[str, str] = field(default_factory=dict)  # field → header, as the caller named them
    kind: str | None = None
    currency: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    date_format: str = "iso"


@dataclass(frozen=True)
class ParsedRow:
    row: int
    kind: str
    quantity: Decimal
    period_start: date
    period_end: date
    cost_minor: int | None
    currency: str
    notes: str | None


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class CsvLayout:
    delimiter: str
    decimal: str
    columns: dict[str, int]  # field → position in the row
    header: list[str]


def _normal(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _check_bytes(head: bytes) -> None:
    if not head.strip():
        raise FileRejected("The file is empty.", code="import.file_empty")
    if head.startswith(_SIGNATURES) or b"\x00" in head:
        raise FileRejected(
            "This is not a CSV file (it looks like a binary file: a spreadsheet, archive or image).",
            code="import.not_csv",
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        raise FileRejected("The file is not UTF-8 text; save it as CSV UTF-8.", code="import.not_utf8") from None


def _detect_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def layout_of(header: list[str], delimiter: str, options: ReadOptions) -> CsvLayout:
    """Which position holds which field: the caller's mapping, else the header's names."""
    positions = {_normal(name): index for index, name in enumerate(header) if name.strip()}
    exact = {name.strip(): index for index, name in enumerate(header)}
    exact_count = Counter(name.strip() for name in header)
    repeated = {key for key, count in Counter(_normal(name) for name in header if name.strip()).items() if count > 1}
    columns: dict[str, int] = {}
    for name, header_name in options.columns.items():
        if exact_count[header_name.strip()] == 1:
            columns[name] = exact[header_name.strip()]
        elif exact_count[header_name.strip()] > 1 or _normal(header_name) in repeated:
            _refuse_repeated(header_name.strip(), f"column_{name}")
        elif _normal(header_name) in positions:
            columns[name] = positions[_normal(header_name)]
        else:
            raise FileRejected(
                f"The file has no column named {header_name!r}.",
                f"column_{name}",
                code="import.column_missing",
                params={"field": header_name},
            )
    for name in FIELDS:
        if name in columns:
            continue
        alias = next((alias for alias in HEADER_NAMES[name] if alias in positions), None)
        if alias is not None and positions[alias] not in columns.values():
            if alias in repeated:
                _refuse_repeated(header[positions[alias]].strip(), f"column_{name}")
            columns[name] = positions[alias]
    missing = [name for name in REQUIRED if name not in columns]
    if "kind" not in columns and options.kind is None:
        missing.insert(0, "kind")
    if missing:
        raise FileRejected(
            "The header names no column for " + ", ".join(missing) + "; name them with column_<field> (or `kind`).",
            code="import.columns_unnamed",
            params={"field": ", ".join(missing)},
        )
    decimal = options.decimal or ("," if delimiter == ";" else ".")
    return CsvLayout(delimiter, decimal, columns, header)


def _refuse_repeated(header_name: str, field: str) -> NoReturn:
    """Two columns answer to the name a field is read from: which one holds it is unclear."""
    raise FileRejected(
        f"The file has two columns named {header_name!r}; rename one, or name the column to read.",
        field,
        code="import.column_repeated",
        params={"field": header_name},
    )


def _number(text: str, decimal: str) -> Decimal:
    """A non-negative decimal written with `decimal` as its mark (thousands grouped by the other
    mark, or not at all)."""
    value = text.strip().replace(" ", "").replace("\u00a0", "")
    group = "." if decimal == "," else ","
    # ASCII digits only (`\d` and Decimal() also take other scripts' digits: ١٢ would read as 12).
    if not re.fullmatch(
        rf"\d+(\{decimal}\d+)?|\d{{1,3}}(\{group}\d{{3}})+(\{decimal}\d+)?|\{decimal}\d+", value, re.ASCII
    ):
        raise ValueError
    return Decimal(value.replace(group, "").replace(decimal, "."))


def _day(text: str, date_format: str) -> date:
    value = text.strip()
    if not value.isascii():  # strptime, like `\d`, reads other scripts' digits too
        raise ValueError
    if date_format == "iso":
        day = date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else _raise()
    else:
        pattern = "%d/%m/%Y" if date_format == "dmy" else "%m/%d/%Y"
        day = datetime.strptime(value.replace("-", "/").replace(".", "/"), pattern).date()
    return day if FIRST_DAY <= day <= LAST_DAY else _raise()


def _raise() -> date:
    raise ValueError


_DATE_HINT = {"iso": "YYYY-MM-DD", "dmy": "DD/MM/YYYY", "mdy": "MM/DD/YYYY"}


def parse_row(  # noqa: PLR0912, PLR0915 (one check per field, in order)
    number: int, cells: list[str], layout: CsvLayout, options: ReadOptions, default_currency: str
) -> ParsedRow | list[RowProblem]:
    problems: list[RowProblem] = []

    def cell(name: str) -> str:
        position = layout.columns.get(name)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    def problem(column: str, message: str) -> None:
        problems.append(RowProblem(number, column, message))

    raw_kind = cell("kind")
    kind = KIND_NAMES.get(_normal(raw_kind)) if raw_kind else options.kind
    if kind is None:
        problem(
            "kind", f"Unknown kind {raw_kind[:40]!r}; use one of {', '.join(UNIT_BY_KIND)}." if raw_kind else "Missing."
        )
    quantity: Decimal | None = None
    try:
        quantity = _number(cell("quantity"), layout.decimal)
        if quantity > MAX_QUANTITY:
            problem("quantity", "At most 1,000,000,000.")
        elif quantity != quantity.quantize(Decimal("0.001")):
            problem("quantity", "At most 3 decimal places.")
    except (ValueError, InvalidOperation):
        problem(
            "quantity",
            "Not a number ≥ 0" + (f" with {layout.decimal!r} as decimal mark." if cell("quantity") else "; missing."),
        )
    start = end = None
    for name in ("period_start", "period_end"):
        try:
            value = _day(cell(name), options.date_format)
            start, end = (value, end) if name == "period_start" else (start, value)
        except ValueError:
            problem(
                name,
                f"Not a date as {_DATE_HINT[options.date_format]} from 2000 to 2100." if cell(name) else "Missing.",
            )
    if start is not None and end is not None:
        try:
            check_period(start, end)
        except UnprocessableContent as broken:
            problem("period_end", broken.detail or "Invalid period.")
    currency = (cell("currency") or options.currency or default_currency).upper()
    if currency not in ISO_4217:
        problem("currency", f"Not an ISO 4217 currency code: {currency[:10]!r}.")
    cost_minor: int | None = None
    if cell("cost_minor"):
        if re.fullmatch(r"\d{1,15}", cell("cost_minor"), re.ASCII) and int(cell("cost_minor")) <= MAX_COST_MINOR:
            cost_minor = int(cell("cost_minor"))
        else:
            problem("cost_minor", "Not a whole number of minor units ≥ 0.")
    elif cell("cost"):
        exponent = _EXPONENT.get(currency, 2)
        try:
            major = _number(cell("cost"), layout.decimal)
            minor = major.scaleb(exponent)
            if minor != minor.to_integral_value():
                problem("cost", f"At most {exponent} decimal places in {currency}.")
            elif minor > MAX_COST_MINOR:
                problem("cost", "Too large.")
            else:
                cost_minor = int(minor)
        except (ValueError, InvalidOperation):
            problem("cost", f"Not an amount ≥ 0 with {layout.decimal!r} as decimal mark.")
    notes = cell("notes") or None
    if notes is not None:
        if _FORMULA_ESCAPE.match(notes):
            notes = notes[1:]  # our own export's escape of a formula-like cell
        if len(notes) > MAX_NOTES:
            problem("notes", f"At most {MAX_NOTES} characters.")
        elif "\x00" in notes:
            problem("notes", "Contains a NUL character.")
    if problems:
        return problems
    assert kind is not None and quantity is not None and start is not None and end is not None
    return ParsedRow(number, kind, quantity, start, end, cost_minor, currency, notes)


@dataclass
class CsvReader:
    """Rows of a CSV stream: `layout` once the header is read, then `rows()` yields
    (row number, cells) for each non-empty record; the header is row 1."""

    layout: CsvLayout
    _reader: Any  # a csv reader: its line_num counts the file's lines read so far
    _text: io.TextIOWrapper

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each record with the line of the file it starts on (a quoted field may span lines)."""
        number = self._reader.line_num + 1
        try:
            for cells in self._reader:
                start, number = number, self._reader.line_num + 1
                if not any(cell.strip() for cell in cells):
                    continue
                yield start, cells
        except UnicodeDecodeError:
            raise FileRejected(
                f"The file is not UTF-8 text (near row {number}); save it as CSV UTF-8.", code="import.not_utf8"
            ) from None
        except csv.Error as exc:
            raise FileRejected(f"Row {number} is not valid CSV: {exc}.", code="import.bad_csv") from None


class _Peeked(io.RawIOBase):
    """`head` (already read) followed by the rest of `stream`."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head, self.stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size], self.head = self.head[:size], self.head[size:]
            return size
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


HEAD_BYTES = 64 * 1024
csv.field_size_limit(1024 * 1024)


def open_csv(stream: IO[bytes], options: ReadOptions) -> CsvReader:
    head = stream.read(HEAD_BYTES)
    _check_bytes(head.removeprefix(codecs.BOM_UTF8)[: HEAD_BYTES - 4])
    text = io.TextIOWrapper(io.BufferedReader(_Peeked(head, stream)), encoding="utf-8-sig", newline="")
    first_line = head.removeprefix(codecs.BOM_UTF8).split(b"\n", 1)[0].decode("utf-8", "replace")
    delimiter = options.delimiter or _detect_delimiter(first_line)
    reader = csv.reader(text, delimiter=delimiter, quotechar='"', strict=True)
    try:
        header = next(reader)
        while not any(cell.strip() for cell in header):
            header = next(reader)
    except StopIteration:
        raise FileRejected("The file has no header row.", code="import.no_header") from None
    except (csv.Error, UnicodeDecodeError):
        raise FileRejected("The header row is not valid CSV text.", code="import.bad_csv") from None
    return CsvReader(layout_of(header, delimiter, options), reader, text)
