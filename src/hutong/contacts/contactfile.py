"""Reading an address book exported from another messenger or phone: vCard (.vcf) or CSV.

The whole file is read and checked before anything is stored, so a malformed file changes
nothing; the error names the line (1-based, as an editor shows it). vCards are split into cards
here, with each content line's syntax checked against its real line number (vobject's own
line numbers are not reliable), and each card is then parsed by vobject. CSV files need a
header naming their columns; Google, Outlook, iOS and common Chinese exports are recognised.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import vobject

from hutong.contacts.directory import normalise_email, normalise_phone
from hutong.contacts.errors import MalformedImport
from hutong.core.errors import PayloadTooLarge, UnsupportedMedia

CONTENT_LINE = re.compile(r'^(?:[A-Za-z0-9-]+\.)?[A-Za-z0-9-]+(?:;(?:[^:"]|"[^"]*")*)?:')
NAME_HEADERS = {"name", "full name", "display name", "姓名", "名字", "联系人", "联系人姓名"}
GIVEN_HEADERS = {"first name", "given name", "名"}
FAMILY_HEADERS = {"last name", "family name", "surname", "姓"}
PHONE_WORDS = ("phone", "mobile", "tel", "cell", "电话", "手机", "号码")
EMAIL_WORDS = ("mail", "邮箱")
LABEL_WORDS = ("type", "label", "类型")
SPLIT_VALUES = re.compile(r"\s*(?::::|;|,|/|\|)\s*")


@dataclass
class ImportedContact:
    line: int
    name: str
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)


def decode_text(data: bytes) -> str:
    if b"\x00" in data:
        raise UnsupportedMedia("Upload a vCard (.vcf) or CSV (.csv) text file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("gb18030")  # older Chinese phone exports
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            raise MalformedImport(line, "the file is not UTF-8 text") from None


def _add_phone(contact: ImportedContact, value: str, line: int, region: str) -> None:
    raw = value.strip().removeprefix("tel:").strip()
    if not raw:
        return
    e164 = normalise_phone(raw, region)
    if e164 is None:
        raise MalformedImport(line, f"{raw[:40]!r} is not a phone number")
    if e164 not in contact.phones:
        contact.phones.append(e164)


def _add_email(contact: ImportedContact, value: str, line: int) -> None:
    raw = value.strip().removeprefix("mailto:").strip()
    if not raw:
        return
    email = normalise_email(raw)
    if email is None:
        raise MalformedImport(line, f"{raw[:40]!r} is not an email address")
    if email not in contact.emails:
        contact.emails.append(email)


# -- vCard ------------------------------------------------------------------------------


@dataclass
class _Card:
    start: int
    lines: list[tuple[int, str]] = field(default_factory=list)

    def line_of(self, prop: str, value: str) -> int:
        """Where a property with this value was written (for error messages)."""
        for number, text in self.lines:
            name = text.split(":", 1)[0].split(";", 1)[0].rsplit(".", 1)[-1].upper()
            if name == prop and value.strip() in text:
                return number
        return self.start


def _continues(current: _Card | None, raw: str) -> bool:
    """Folded lines (leading blank) and quoted-printable soft breaks (vCard 2.1) join the
    previous property line."""
    if current is None or not current.lines:
        return False
    number, prev = current.lines[-1]
    if raw[:1] in (" ", "\t"):
        current.lines[-1] = (number, prev + raw[1:])
        return True
    if prev.endswith("=") and "QUOTED-PRINTABLE" in prev.split(":", 1)[0].upper():
        current.lines[-1] = (number, prev + "\n" + raw)
        return True
    return False


def _split_cards(text: str) -> list[_Card]:
    cards: list[_Card] = []
    current: _Card | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if _continues(current, raw) or not line:
            continue
        upper = line.upper()
        if upper == "BEGIN:VCARD":
            if current is not None:
                raise MalformedImport(number, "BEGIN:VCARD inside another card (END:VCARD missing)")
            current = _Card(number)
        elif upper == "END:VCARD":
            if current is None:
                raise MalformedImport(number, "END:VCARD without BEGIN:VCARD")
            cards.append(current)
            current = None
        elif current is None:
            raise MalformedImport(number, f"text outside a card: {line[:40]!r}")
        elif not CONTENT_LINE.match(line):
            raise MalformedImport(number, f"not a vCard property line: {line[:40]!r}")
        else:
            current.lines.append((number, line))
    if current is not None:
        raise MalformedImport(current.start, "this card is never closed with END:VCARD")
    if not cards:
        raise MalformedImport(1, "no BEGIN:VCARD found; is this a vCard file?")
    return cards


def _card_name(card: vobject.base.Component) -> str:
    if "fn" in card.contents and str(card.fn.value).strip():
        return str(card.fn.value).strip()
    if "n" in card.contents:
        n = card.n.value
        parts = [getattr(n, "family", ""), getattr(n, "given", "")]
        joined = " ".join(str(p).strip() for p in parts if str(p).strip())
        if joined:
            return joined
    if "org" in card.contents:
        org = card.org.value
        return " ".join(org) if isinstance(org, list) else str(org)
    return ""


def parse_vcf(text: str, region: str) -> list[ImportedContact]:
    out: list[ImportedContact] = []
    for card in _split_cards(text):
        body = "\r\n".join(["BEGIN:VCARD", *(t for _, t in card.lines), "END:VCARD", ""])
        try:
            parsed = vobject.readOne(body)
        except Exception as exc:  # vobject raises several types for broken cards
            raise MalformedImport(card.start, f"this card cannot be read ({exc})") from None
        contact = ImportedContact(card.start, _card_name(parsed)[:80])
        for tel in parsed.contents.get("tel", []):
            _add_phone(contact, str(tel.value), card.line_of("TEL", str(tel.value)), region)
        for mail in parsed.contents.get("email", []):
            _add_email(contact, str(mail.value), card.line_of("EMAIL", str(mail.value)))
        if contact.name or contact.phones or contact.emails:
            out.append(contact)
    return out


# -- CSV --------------------------------------------------------------------------------


@dataclass
class _Columns:
    name: int | None = None
    given: int | None = None
    family: int | None = None
    phones: list[int] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)


def _columns(header: list[str]) -> _Columns:
    cols = _Columns()
    for i, raw in enumerate(header):
        h = raw.strip().casefold()
        if h in NAME_HEADERS and cols.name is None:
            cols.name = i
        elif h in GIVEN_HEADERS and cols.given is None:
            cols.given = i
        elif h in FAMILY_HEADERS and cols.family is None:
            cols.family = i
        elif any(w in h for w in LABEL_WORDS):
            continue
        elif any(w in h for w in EMAIL_WORDS):
            cols.emails.append(i)
        elif any(w in h for w in PHONE_WORDS):
            cols.phones.append(i)
    return cols


def parse_csv(text: str, region: str) -> list[ImportedContact]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[ImportedContact] = []
    cols: _Columns | None = None
    width = 0
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if cols is None:
                cols, width = _columns(row), len(row)
                if not (cols.phones or cols.emails):
                    raise MalformedImport(
                        line, "the first line must name the columns, with a phone or email column"
                    )
                continue
            if len(row) > width:
                raise MalformedImport(line, f"{len(row)} columns, but the header line has {width}")
            padded = row + [""] * (width - len(row))
            out.append(_csv_contact(padded, cols, line, region))
    except csv.Error as exc:
        raise MalformedImport(reader.line_num, f"broken CSV ({exc})") from None
    if cols is None:
        raise MalformedImport(1, "the file is empty")
    return [c for c in out if c.name or c.phones or c.emails]


def _csv_contact(row: list[str], cols: _Columns, line: int, region: str) -> ImportedContact:
    if cols.name is not None and row[cols.name].strip():
        name = row[cols.name].strip()
    else:
        parts = [row[i].strip() for i in (cols.given, cols.family) if i is not None]
        name = " ".join(p for p in parts if p)
    contact = ImportedContact(line, name[:80])
    for i in cols.phones:
        for value in SPLIT_VALUES.split(row[i]):
            _add_phone(contact, value, line, region)
    for i in cols.emails:
        for value in SPLIT_VALUES.split(row[i]):
            _add_email(contact, value, line)
    return contact


def parse_contacts(
    filename: str, data: bytes, *, region: str, max_bytes: int, max_contacts: int
) -> list[ImportedContact]:
    """Every contact in the file, or a typed error (413, 415 or 422 naming the line)."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"Contact files may be at most {max_bytes // 1024} KiB.")
    text = decode_text(data)
    name = filename.lower()
    is_vcf = name.endswith((".vcf", ".vcard")) or (
        not name.endswith(".csv") and text.lstrip().upper().startswith("BEGIN:VCARD")
    )
    contacts = parse_vcf(text, region) if is_vcf else parse_csv(text, region)
    if len(contacts) > max_contacts:
        raise PayloadTooLarge(f"Import at most {max_contacts} contacts at a time.")
    return contacts
