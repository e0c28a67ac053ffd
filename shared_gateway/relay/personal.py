"""Personal-data rules: one `Rule` per class a team's ``personal_data`` policy names.

Each rule's ``category`` is its class ("email", "phone", "iban", "ssn", "my-number"); the
card number rule lives in rules.py with the other digit rules (category "card"). What a
finding does is the team's choice per class (registry.py, ``Team.decision``).

The rules are tuned to refuse nothing ordinary: every number rule has a checksum or a
numbering plan behind it, and the looser shapes (a My Number without its keyword) are
dropped when the text just before them names an order, an invoice, an account or an id.
"""

from __future__ import annotations

import re

from .rule import lazy
from .rules import Rule, my_number_valid, secret_of

# --- validators -------------------------------------------------------------------------

# Mailboxes that are a system, not a person; and names that look like a domain but are a file
# (icon@2x.png, the retina-asset convention).
_ROLE_MAILBOXES = frozenset(
    ("noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon", "postmaster")
)
_FILE_SUFFIXES = frozenset((
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "js", "mjs", "ts", "tsx", "jsx",
    "css", "scss", "json", "yaml", "yml", "toml", "txt", "md", "log", "csv", "py", "rb", "go",
    "rs", "java", "kt", "html", "htm", "xml", "pdf", "zip", "gz", "tar",
))  # fmt: skip


def email_valid(match: re.Match[str]) -> bool:
    local, _, domain = secret_of(match).rpartition("@")
    if local.lower() in _ROLE_MAILBOXES or local.startswith(".") or ".." in local:
        return False
    return domain.rsplit(".", 1)[-1].lower() not in _FILE_SUFFIXES


# ITU-T E.164 country codes are prefix-free: one digit (1, 7), the two-digit ones below, or
# three digits. National significant number lengths for the codes most traffic carries;
# others get E.164's general bound (the whole number at most 15 digits).
_TWO_DIGIT_CODES = frozenset((
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
    "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
))  # fmt: skip
_NATIONAL_LENGTHS = {
    "1": (10,),  # NANP: area code, exchange, line
    "7": (10,),
    "33": (9,),
    "34": (9,),
    "44": (9, 10),
    "49": tuple(range(6, 14)),
    "61": (9,),
    "65": (8,),
    "81": (9, 10),  # Japan without the trunk 0: 3-1234-5678, 90-1234-5678
    "82": (8, 9, 10),
    "86": (8, 9, 10, 11),
    "91": (10,),
}


def e164_valid(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", secret_of(match))
    if digits[0] in "17":
        code = digits[0]
    elif digits[:2] in _TWO_DIGIT_CODES:
        code = digits[:2]
    else:
        code = digits[:3]
    national = digits[len(code) :]
    lengths = _NATIONAL_LENGTHS.get(code)
    if lengths is not None and len(national) not in lengths:
        return False
    if lengths is None and not (len(national) >= 6 and len(digits) <= 15):
        return False
    if national.startswith("0"):  # a trunk prefix is never written after the country code
        return False
    # NANP: neither the area code nor the exchange starts with 0 or 1.
    return code != "1" or (national[0] not in "01" and national[3] not in "01")


# IBAN length per country (the SWIFT IBAN registry).
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban_valid(match: re.Match[str]) -> bool:
    iban = secret_of(match).replace(" ", "")
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[4:].isalnum():
        return False
    # ISO 13616: move the first four characters to the end, letters become 10..35, mod 97 = 1.
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def ssn_valid(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", secret_of(match))
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def bare_my_number_valid(match: re.Match[str]) -> bool:
    """A My Number shape with no keyword: the check digit, and not part of a path or ARN."""
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    return (
        before not in (":", "/", "=", "#", "@")
        and after not in (":", "/")
        and (my_number_valid(match))
    )


# Labels that make a number an identifier of something else (checked before the match, in
# the text as written, so Japanese labels count).
_IDENTIFIER_LABELS = (
    "order", "invoice", "tracking", "shipment", "parcel", "ticket", "request", "trace",
    "account", "acct", "arn", "aws", "id", "serial", "sku", "ref", "no.", "#", "job",
    "build", "注文", "請求", "伝票", "追跡", "受注", "発注", "配送", "問合せ", "問い合わせ",
    "口座", "会員", "顧客", "管理", "製造", "型番", "取引", "契約", "受付", "予約", "決済",
    "振込",
)  # fmt: skip
# A My Number alone is not a phone number, nor "a number" of anything ("番号" vetoes too:
# the keyword rule already finds 個人番号 and マイナンバー).
_NOT_MY_NUMBER = (*_IDENTIFIER_LABELS, "tel", "phone", "fax", "電話", "番号")

# --- the rules --------------------------------------------------------------------------

_EMAIL_LOCAL = r"[A-Za-z0-9._%+-]{1,64}"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}"

PERSONAL_RULES: tuple[Rule, ...] = (
    Rule(
        id="email-address",
        description="e-mail address",
        # Not after "/" (a URL's user, as in ssh://git@host) and not before ":" (git@host:repo).
        pattern=lazy(
            rf"(?<![A-Za-z0-9._%+/-]){_EMAIL_LOCAL}@{_DOMAIN}(?![A-Za-z0-9-]|\.[A-Za-z0-9]|:)"
        ),
        keywords=("@",),
        lookback=64,
        validator=email_valid,
        category="email",
        examples=(
            "contact taro.yamada@example.co.jp for access",
            "Signed-off-by: Jane Doe <jane.doe+lists@mail.example.com>",
            "担当: hanako_suzuki@example.jp まで",
        ),
        near_misses=(
            "ssh://git@github.com/org/repo.git",
            "git clone git@github.com:org/repo.git",
            "assets/icon@2x.png and logo@3x.webp",
            "From: noreply@github.com",
            "npm install lodash@4.17.21 @types/node",
            "ping <@U024BE7LH> about the deploy",
            "decorated with @app.route('/health')",
        ),
    ),
    Rule(
        id="phone-number-jp",
        description="Japanese phone number",
        # 0X-XXXX-XXXX (Tokyo 03, Osaka 06, ...) and 0X0-XXXX-XXXX (mobile 070/080/090, IP 050),
        # with one kind of separator throughout.
        pattern=lazy(
            r"(?<![\w.+:/=-])(?P<secret>0(?:[1-9]|[5789]0)(?P<sep>[ -])\d{4}(?P=sep)\d{4})"
            r"(?![\w-]|[ -]\d)"
        ),
        min_digits=10,
        exclude=_IDENTIFIER_LABELS,
        context_window=24,
        category="phone",
        examples=(
            "緊急連絡先: 090-1234-5678（田中）",
            "call the office on 03-1234-5678 after 9",
            "携帯 080 1234 5678",
        ),
        near_misses=(
            "order 090-1234-5678 shipped",
            "2024-03-1234-5678",
            "build 03-1234-5678-2 failed",
            "v0.90-1234-5678",
            "job=090-1234-5678 exited",
            "090-1234 5678",
        ),
    ),
    Rule(
        id="phone-number-jp-labelled",
        description="Japanese phone number",
        # Written without separators, as forms and signatures do, after its label: TEL:
        # 0312345678, phone 09012345678. Ten digits from 0 (a fixed line) or eleven from
        # 050/070/080/090; a bare run of ten or eleven digits is an id more often than not.
        pattern=lazy(
            r"(?<![A-Za-z])(?i:tel|phone|mobile|cell|fax)(?i:[ _.-]?(?:no\.?|number|#))?"
            r"[ \t:：#=.]{0,5}(?P<secret>0(?:[1-9]\d{8}|[5789]0\d{8}))(?![\w-])"
        ),
        keywords=("tel", "phone", "mobile", "cell", "fax"),
        category="phone",
        examples=(
            "TEL: 0312345678",
            "tel 09012345678",
            "Phone number: 08012345678",  # 080 mobile, eleven digits
            "FAX:0612345678",
        ),
        near_misses=(
            "hotel 0312345678",
            "telemetry 0312345678",
            "tel 12345678901",  # does not start with 0
            "tel 031234567890",  # twelve digits: not a phone number
            "phone: 0312345678-2",
        ),
    ),
    Rule(
        id="phone-number-e164",
        description="international phone number",
        pattern=lazy(
            r"(?<![\w+/=.])(?P<secret>\+[1-9]\d{0,3}(?:[ -]?\(\d{1,4}\))?(?:[ -]?\d{1,5}){1,5})"
            r"(?![\w+/=-]|[.,]\d)"
        ),
        keywords=tuple(f"+{d}" for d in "123456789"),
        validator=e164_valid,
        category="phone",
        examples=(
            "on call: +81 90-1234-5678",
            "phone +14155552671 (Alice)",
            "UK desk +44 20 7946 0958",
            "US office +1 (415) 555-2671",
        ),
        near_misses=(
            "2024-05-01T09:00:00+09:00",
            "diff: +12 -3 lines",
            "heap grew +1234567 bytes",
            "score +1,234,567",
            "c3VwZXIrMTIzNDU2Nzg5MDEy+12345678901/abc",
            "+0 81 3 1234 5678",
            "+1 055 555 2671",
        ),
    ),
    Rule(
        id="iban",
        description="IBAN (bank account number)",
        # Written without spaces: the country code is the keyword, looked for only in runs of
        # 16+ token characters (where every IBAN but Norway's 15 sits), so upper-case words
        # in prose cost nothing. Printed in groups of four, it is found by its label (below).
        pattern=lazy(r"(?<![A-Za-z0-9])(?P<secret>[A-Z]{2}\d{2}[A-Z0-9]{11,30})(?![A-Za-z0-9])"),
        keywords=tuple(_IBAN_LENGTHS),
        token=True,
        validator=iban_valid,
        category="iban",
        examples=(
            "pay to GB82WEST12345698765432 by Friday",
            "NL91ABNA0417164300",
            "DE89370400440532013000",
        ),
        near_misses=(
            "GB82WEST12345698765433",
            "AT611904300234573201X",
            "build DE44ABCDEFGHIJKLMNOPQRS",
            "DEBUG GE12 ISO8601 FR2024-05-01",
        ),
    ),
    Rule(
        id="iban-labelled",
        description="IBAN (bank account number)",
        pattern=lazy(
            r"(?<![A-Za-z])(?i:iban)[\s:#=\"'-]{0,5}(?P<secret>[A-Z]{2}\d{2}"
            r"(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?))(?![A-Za-z0-9])"
        ),
        keywords=("iban",),
        validator=iban_valid,
        category="iban",
        examples=(
            "IBAN DE89 3704 0044 0532 0130 00",
            "iban: FR14 2004 1010 0505 0001 3M02 606",
            "IBAN NO9386011117947",
        ),
        near_misses=(
            "IBAN DE89 3704 0044 0532 0130 01",
            "IBAN check: DE00 0000 0000 0000 0000 00",
            "the iban field is optional",
        ),
    ),
    Rule(
        id="us-ssn",
        description="US Social Security number",
        # Only where the text names it: nine digits alone are everything from ids to amounts.
        pattern=lazy(
            r"(?<![A-Za-z])(?i:ssn|social security)(?i:[ _-]?(?:no\.?|number|num|#))?"
            r"[\s:#=\"'-]{0,5}(?P<secret>\d{3}(?P<sep>[ -]?)\d{2}(?P=sep)\d{4})(?![\w-])"
        ),
        keywords=("ssn", "social security"),
        validator=ssn_valid,
        reveal=0,
        category="ssn",
        examples=(
            "SSN: 078-05-1120",
            "social security number 123 45 6789",
            'ssn="219099999"',
        ),
        near_misses=(
            "SSN: 000-12-3456",
            "SSN: 666-12-3456",
            "SSN: 900-12-3456",
            "ssn 123-00-4567",
            "ssn 123-45-0000",
            "classname 123-45-6789",
            "ticket 123-45-6789",
        ),
    ),
    Rule(
        id="jp-my-number-bare",
        description="Japanese individual number (My Number)",
        # The keyword rule (jp-my-number) finds it named; this one finds it alone, on the
        # strength of its check digit, unless a label before it makes it some other number.
        pattern=lazy(
            r"(?<![\w.+-])(?P<secret>\d{12}(?![\w-])"
            r"|(?<!\d[ -])\d{4}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?![\w-]|(?P=sep)\d))"
        ),
        min_digits=12,
        validator=bare_my_number_valid,
        exclude=_NOT_MY_NUMBER,
        context_window=32,
        reveal=0,
        category="my-number",
        generic=True,  # yields to jp-my-number where the number is named: one finding
        examples=(
            "123456789018",
            "田中様 1234 5678 9018 で登録",
            "holder 1234-5678-9018 verified",
        ),
        near_misses=(
            "注文番号 1234 5678 9018",
            "order 123456789018 shipped",
            "invoice no. 1234-5678-9018",
            "arn:aws:iam::123456789018:role/deploy",
            "AWS account 123456789018",
            "123456789012",
            "2024-05-01 1234 5678 9018 9",
            "https://example.com/items/123456789018/",
        ),
    ),
)
