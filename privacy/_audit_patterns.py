"""What clear identifiers, digests and sensitive labels look like to the audit: the patterns
its measurements (per part) and its checks (on headers, names and manifests) share."""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

import numpy as np
import polars as pl

from ._headers import ALIAS_TO_KIND, UNDECOMPOSED, ascii_name, fold_header

__all__ = [
    "ADDRESS_WORDS",
    "CARD",
    "DATE",
    "DIGEST",
    "DIGESTISH",
    "DIGITS",
    "EMAIL",
    "EVENT_TIME",
    "FORMULA",
    "FULL_NAME",
    "HEX_ID",
    "IBAN_GROUPS",
    "IPV4",
    "IPV6",
    "MIDNIGHT",
    "NATIONAL_PHONE",
    "NUMBER",
    "ODD_DIGEST",
    "PHONE",
    "QUASI_NAMES",
    "SENSITIVE",
    "SSN",
    "STREET",
    "TELCO_ID_WORDS",
    "WHOLE_DIGITS",
    "WORDS",
    "ZIP",
    "find_iban",
    "folded",
    "iban_start",
    "is_card",
    "is_event_date_name",
    "is_hex_id",
    "is_labelled",
    "is_phone_name",
    "is_quasi_name",
    "is_version_name",
    "luhn",
    "national_phone",
    "telco_id_name",
    "visible",
]

#: Two to four words of letters (in any script), by spaces or a comma: what might be a
#: person's name, looked at closer with FULL_NAME.
WORDS = r"^\s*\p{L}[\p{L}\p{M}'.\-]*(?:,?\s+\p{L}[\p{L}\p{M}'.\-]*){1,3}\s*$"
#: A person's name written whole, in lower case without accents, in any script: a given
#: name, up to two middle names or initials, and a surname ('mary smith', 'mary j. smith',
#: "mary o'neil", 'иван петров', 'परमोद जैन': Devanagari's vowel signs are marks), or the
#: surname first after a comma ('smith, mary j.'); groups: given name and surname, or
#: surname and given name.
_NAME_WORD = r"\pL[\pL\pM'\-]*"
FULL_NAME = (rf"^\s*(?:({_NAME_WORD})(?:\s+\pL[\pL\pM'.\-]*){{0,2}}\s+({_NAME_WORD})"
             rf"|({_NAME_WORD})\s*,\s*({_NAME_WORD})(?:\s+\pL[\pL\pM'.\-]*)?)\s*$")
#: A street address written whole, US/UK style: a house number, one to five words and a
#: street type ('123 Main St', '12b N. Oak Avenue, Apt 4').
_STREET_US = (r"\d{1,6}[a-z]?(?:-\d{1,5})?\s+(?:[\w.'\-]+\s+){1,5}(?:st|street|ave|avenue"
              r"|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|pl|place|ter|terrace|pkwy"
              r"|parkway|hwy|highway|cir|circle|way|sq|square|trl|trail)\.?(?:\s+(?:[nsew]|ne"
              r"|nw|se|sw|n\.[ew]|s\.[ew])\.?)?(?:,?\s*(?:apt|apartment|unit|suite|ste|fl"
              r"|floor|#)\.?\s*#?[\w\-]+)?")
#: French and Belgian: the number, then the way's type and its name ('12 rue de la Paix',
#: '5 bis, avenue Foch').
_STREET_FR = (r"\d{1,5}(?:\s*(?:bis|ter|quater|[a-z]))?(?:-\d{1,5})?,?\s+(?:rue|avenue"
              r"|boulevard|bd\.?|place|chemin|allée|allee|impasse|quai|route|cours|passage"
              r"|square|voie|faubourg|promenade|esplanade|av\.)\s+(?:[\w.'’\-]+\s*){1,6}")
#: Southern and Eastern Europe: the way's type, its name, then the number ('Calle Mayor 3',
#: 'Via Roma, 10', 'Rua Augusta 100', 'ul. Marszałkowska 10', 'C/ Alcalá 45, 3º B').
_STREET_TYPE_FIRST = (
    r"(?:calle|c/|avenida|avda\.|plaza|paseo|camino|carrera|carrer|ronda|travesía|travesia"
    r"|via|viale|piazza|piazzale|corso|largo|vicolo|rua|travessa|praça|praca|alameda|estrada"
    r"|ulica|ul\.|aleja|al\.|rue|avenue)\s*(?:[\w.'’\-]+\s+){0,6}?[\w.'’\-]+,?\s+"
    r"(?:n[º°o]\.?\s*)?\d{1,5}\s*[a-z]?(?:\s*[,/\-]\s*[\w.º°ª'\- ]{1,20})?")
#: German, Dutch and Nordic: the street's name ending in its type, then the number
#: ('Hauptstraße 5', 'Karl-Marx-Str. 12a', 'Berliner Straße 12', 'Keizersgracht 123').
_STREET_COMPOUND = (
    r"(?:(?:[\w.'\-]+\s+){1,3}[\w'\-]*|[\w'\-]{2,})(?:straße|strasse|str\.|weg|gasse|platz"
    r"|allee|damm|ufer|chaussee|steig|pfad|gracht|laan|plein|straat|steeg|singel|vej|gade"
    r"|gatan|vägen|gränd|torg|veien|gata|katu)\s+\d{1,5}\s*[a-z]?(?:\s*[-/]\s*\d{1,5}[a-z]?)?")
#: A street address written whole, in the forms of the US and UK and of continental Europe
#: (none of GeoNames' 32,000 city names is one); only a column of them counts.
STREET = (rf"(?i)^\s*(?:{_STREET_US}|{_STREET_FR}|{_STREET_TYPE_FIRST}|{_STREET_COMPOUND})"
          r"\s*$")
#: A well-formed SHA-256 digest: 64 lower-case hex, or Base64 of the 32 raw bytes.
DIGEST = r"^(?:[0-9a-f]{64}|[A-Za-z0-9+/]{43}=)$"
#: Some digest (MD5 to SHA-512, any case, with a 0x or blanks around it; Base64, padded or
#: not, standard or URL-safe): in a hashed column, no clear data (the digits inside one are
#: no phone number).
DIGESTISH = r"^\s*(?:(?:0[xX])?[0-9a-fA-F]{32,128}|[A-Za-z0-9+/_\-]{43}=?)\s*$"
#: A digest written in a form no platform takes (with DIGESTISH's hex of a digest's length,
#: 16 to 128 with a letter, truncated or SHA-512...): hex with a 0x or blanks around it, Base64
#: unpadded or URL-safe.
ODD_DIGEST = r"^\s*(?:0[xX])?[0-9a-fA-F]{32,128}\s*$|^\s*[A-Za-z0-9+/_\-]{43}=?\s*$"
#: An address in any script (``jöhn@bücher.de``, ``почта@пример.рф``), with a quoted local
#: part, a bracketed IP for a domain, or U+FFFD where bytes were not UTF-8: ``\w`` is Unicode
#: in polars' regex and in Python's.
EMAIL = (r'[\w.%+\-\ufffd"]+@(?:[\w.\-]+\.[^\W\d_]{2,}|\[[0-9A-Za-z.:]+\])'
         # or spelled out to hide it from scrapers: "john dot smith at gmail dot com" (the
         # bracketed "[at]" and "(dot)" are read as "@" and "." by visible() first)
         r"|[\w.%+\-]+\s+(?i:at)\s+[\w\-]+(?:\s+(?i:dot)\s+[\w\-]+)*\s+(?i:dot)\s+[^\W\d_]{2,}\b")
#: A phone number with a ``+`` or ``00``, or shaped like a US one ('(650) 555-1212',
#: '1-800-555-0100'), not inside a longer run of digit groups: a cell's global identity,
#: MCC-MNC-LAC-CI ('310-260-9805-37304'), or a version ('1.650.555.1212.3') holds one by
#: chance.
PHONE = (r"(?:^|[^0-9])(?:\+|00)[1-9][0-9 ().\-]{7,17}[0-9](?:$|[^0-9])|"
         r"(?:^|[^0-9.\-]|(?:^|[^0-9])1?[.\-])\(?[2-9][0-9]{2}\)?[ .\-]?[2-9][0-9]{2}[ .\-]?"
         r"[0-9]{4}(?:$|[^0-9.\-]|[.\-](?:$|[^0-9]))")
#: A phone number in the national form of the many countries whose numbers start with a
#: trunk ``0`` ('06 12 34 56 78', '07700 900123', '0151 1234567', '(030) 1234567'): no pattern
#: tells it from other numbers, so it counts only in a column named for phones, with 9 to 13
#: digits (see :func:`national_phone`).
NATIONAL_PHONE = r"^\s*\(?0[1-9][0-9]*\)?(?:[ .\-/]?\(?[0-9]+\)?)*\s*$"
#: A decimal number ('0123456.78' is an amount, not a phone).
_DECIMAL = r"^\s*[0-9]+[.,][0-9]{1,2}\s*$"


def national_phone(values: pl.Expr) -> pl.Expr:
    """Whether each value has the shape of a national phone number (:data:`NATIONAL_PHONE`)."""
    return (values.str.contains(NATIONAL_PHONE) & ~values.str.contains(_DECIMAL)
            & values.str.count_matches("[0-9]").is_between(9, 13))


#: Bare digits with a country code: tested as phone numbers by the library's phone rules.
DIGITS = r"^\+?[1-9][0-9]{7,14}$"
#: A whole value of digits only, after a short prefix of letters (a count, an amount, an id
#: such as 'ORD-6505551212', or a phone without separators, 'tel:6505551212').
WHOLE_DIGITS = r"^\s*(?:[A-Za-z]{1,6}[\-_#:/ ]?)?[0-9]+\s*$"
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
#: A date written year first ('1985-03-02'), as eight digits ('19850302'), or with the year
#: last, month first as in the US ('03/02/1985') or day first as in Europe ('02.03.1985',
#: '25/03/1985', '02-03-1985'), each with one separator twice.
DATE = (r"(?:^|[^0-9])(?:19|20)[0-9]{2}[-/.](?:0?[1-9]|1[0-2])[-/.]" + _DAY + r"(?:$|[^0-9])|"
        + "|".join(r"(?:^|[^0-9.])" + _DAY + sep + _DAY + sep + r"(?:19|20)[0-9]{2}(?:$|[^0-9.])"
                   for sep in ("/", r"\.", "-"))
        + r"|^(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])$")
ZIP = r"^[0-9]{5}(?:-[0-9]{4})?$"
IPV4 = (r"(?:^|[^0-9.])(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|"
        r"1?[0-9]?[0-9])){3}(?:$|[^0-9.])")
_H16 = r"[0-9A-Fa-f]{1,4}"
#: An IPv6 address: eight groups, or compressed with "::" after a group of 3-4 hex digits
#: ("2001:db8::1", "fe80::1"); MAC addresses and times ("10:30:00") are not.
IPV6 = (r"(?:^|[^0-9A-Za-z:])(?:(?:" + _H16 + r":){7}" + _H16 + r"|[0-9A-Fa-f]{3,4}(?::"
        + _H16 + r"){0,6}::(?:" + _H16 + r"(?::" + _H16 + r"){0,6})?)(?:$|[^0-9A-Za-z:])")
#: A US Social Security number as written, 3-2-4 digits with dashes, in the ranges the SSA
#: issues (area not 000, 666 or 9xx; group not 00; serial not 0000).
SSN = (r"(?:^|[^0-9\-])(?:00[1-9]|0[1-9][0-9]|[1-5][0-9]{2}|6[0-5][0-9]|66[0-57-9]|6[7-9][0-9]|"
       r"[78][0-9]{2})-(?:0[1-9]|[1-9][0-9])-(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|"
       r"[1-9][0-9]{3})(?:$|[^0-9\-])")
CARD = r"(?:^|[^0-9])(?:[0-9][ \-]?){12,18}[0-9](?:$|[^0-9])"
#: A whole value that is a UUID (a device's advertising id, a record's key) or a hex token of
#: 16+ characters: the digit runs inside one are no phone, card, date or address.
HEX_ID = (r"^\s*(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
          r"[0-9a-fA-F]{12}|[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*)\s*$")


def folded(values: pl.Expr) -> pl.Expr:
    """``values`` in lower case without accents: 'José García' 'jose garcia', 'Łukasz'
    'lukasz' (letters of other scripts are left as they are)."""
    low = values.str.to_lowercase().str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
    return low.str.replace_many(list(UNDECOMPOSED), list(UNDECOMPOSED.values()))


def is_hex_id(values: pl.Expr) -> pl.Expr:
    """Whether each value is a whole UUID or hex token of 16+ characters (:data:`HEX_ID`)."""
    return values.str.contains(HEX_ID) & (values.str.len_chars() >= 16)


#: A whole value that is an ISO date with a time of day other than midnight: an event's
#: time, not a date of birth (which exports write at 00:00).
EVENT_TIME = (r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}[T ](?:[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)"
              r"(?:Z|[+\-][0-9]{2}:?[0-9]{2})?\s*$")
MIDNIGHT = r"[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+\-][0-9]{2}:?[0-9]{2})?\s*$"
# What a spreadsheet runs as a formula at the start of a cell (OWASP), numbers excepted.
FORMULA = r"^[=+\-@\t\r]"
NUMBER = r"^[+\-]?[0-9][0-9 .,()\-]*$"
#: Words of segment names that imply health or financial status (case-insensitive).
SENSITIVE = (
    r"diabet|cancer|hiv|aids\b|pregnan|depress|anxiety|mental|disab|dementia|alzheim|"
    r"addict|rehab|oncolog|chemo|fertility|ivf|std\b|abortion|debt|bankrupt|insolven|"
    r"payday|low[_ -]?income|welfare|medicaid|food[_ -]?stamp|credit[_ -]?score|"
    r"loan[_ -]?default|arrears|collections?\b|overdra|poverty|gambl"
)
QUASI_NAMES = {"age", "age_band", "ageband", "age_group", "zip", "zipcode", "zip_code",
               "postcode", "postal_code", "gender", "sex", "city", "town", "state", "province",
               "country", "region", "birth_year", "yob", "year_of_birth", "county",
               # an age and a year of birth in the languages of European CRMs (folded: 'Âge')
               "alter", "altersgruppe", "geburtsjahr", "tranche_d_age", "annee_de_naissance",
               "edad", "rango_de_edad", "ano_de_nacimiento", "fascia_d_eta",
               "anno_di_nascita", "idade", "faixa_etaria", "ano_de_nascimento", "leeftijd",
               "geboortejaar", "fodselsar"}
#: Identifier kinds that are quasi-identifiers in clear: a column whose name says one of them
#: in any language the upload reads ('PLZ', 'Geschlecht', 'Ville') is one.
_QUASI_KINDS = ("zip", "gender", "city", "state", "country")
_LABELLED = ("segment", "audience", "label", "list", "tag")


def is_quasi_name(column: str) -> bool:
    """A column named like a quasi-identifier (age, zip, gender, city...; 'Âge', 'PLZ')."""
    folded = fold_header(column)
    return folded in QUASI_NAMES or ALIAS_TO_KIND.get(folded) in _QUASI_KINDS


#: Words that name a column of software versions: "10.3.1.2" there is a firmware, not an
#: IPv4 address (telco exports carry app, OS and firmware versions of four parts).
_VERSION_WORDS = {"version", "versions", "ver", "vsn", "firmware", "fw", "build", "release",
                  "revision", "rev", "sdk"}


#: Words that name a column of an event's date: an account's activation or a purchase is
#: no date of birth (unless the name also says birth).
_EVENT_DATE_WORDS = {
    "activation", "activated", "created", "creation", "updated", "modified", "start",
    "started", "end", "ended", "expiry", "expires", "expiration", "purchase", "purchased",
    "order", "ordered", "event", "login", "seen", "signup", "registered", "registration",
    "contract", "renewal", "renewed", "churn", "churned", "ported", "install", "installed",
    "at", "on", "ts", "timestamp", "time", "billing", "payment", "paid", "invoice",
    # the same in European CRMs, folded ('fecha de activación', 'Kaufdatum'); German and
    # Dutch write one word
    "activacion", "alta", "compra", "pedido", "creacion", "baja", "attivazione", "acquisto",
    "ordine", "creazione", "ativacao", "criacao", "commande", "achat",
    "resiliation", "activatie", "aankoop", "bestelling", "aktivierung", "kauf", "bestellung",
    "erstellung", "vertrag", "kundigung", "anmeldung", "aktivierungsdatum", "kaufdatum",
    "bestelldatum", "erstellungsdatum", "vertragsbeginn", "vertragsende", "kundigungsdatum",
    "anmeldedatum", "activatiedatum", "aankoopdatum", "aanmaakdatum", "besteldatum",
}
_BIRTH_WORDS = {"dob", "birth", "birthday", "birthdate", "born", "bday", "doby", "dobm", "dobd",
                "naissance", "geburt", "geburtsdatum", "geburtstag", "nacimiento", "nascita",
                "nascimento", "geboorte", "geboortedatum", "fodselsdato", "fodelsedatum",
                "syntymaaika"}


def _name_words(column: str) -> set[str]:
    """The words of a column name, snake, kebab, spaced or camelCase."""
    words = ascii_name(re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", column))
    return set(re.split(r"[^a-z]+", words))


#: Folded column names of a street address in the languages of European CRMs ('Adresse',
#: 'Straße' is 'strasse', 'Dirección' 'direccion').
ADDRESS_WORDS = frozenset({"adresse", "anschrift", "strasse", "direccion", "domicilio",
                           "indirizzo", "endereco", "morada", "adres", "adresa"})
#: What names a column of each telco identifier: a SIM's subscriber identity (IMSI), a
#: handset's identity (IMEI) or a SIM card's serial number (ICCID).
TELCO_ID_WORDS = {"imsi": {"imsi", "msin"}, "imei": {"imei", "imeisv", "meid"},
                  "iccid": {"iccid", "sim", "simserial"}}


def telco_id_name(column: str) -> str | None:
    """The telco identifier a column's name names ('IMSI', 'device_imei', 'simSerial'), or
    None."""
    words = _name_words(column) | {re.sub(r"[^a-z]+", "", column.lower())}
    return next((kind for kind, named in TELCO_ID_WORDS.items() if words & named), None)


def is_version_name(column: str) -> bool:
    """A column named for software versions ('app_version', 'osVersion', 'FW Build')."""
    return bool(_name_words(column) & _VERSION_WORDS)


#: Words that name a column of phone numbers on their own; 'mobile' and 'cell' only with a
#: number's word or alone ('cell_id', 'mobile_data_bytes' hold no phones).
_PHONE_WORDS = {"phone", "phones", "msisdn", "telephone", "tel", "mdn", "cellphone",
                "phonenumber", "mobilephone",
                # the same in European CRMs (folded: 'Téléphone', 'Telemóvel')
                "telefon", "telefonnummer", "handy", "handynummer", "mobilnummer",
                "mobiltelefon", "telefono", "celular", "cellulare", "telefone", "telemovel",
                "telefoon", "telefoonnummer", "mobielnummer", "natel", "puhelin",
                "matkapuhelin"}
#: Words of a mobile phone that name other things too ('mobile_data_bytes', 'cell_id').
_MOBILE_WORDS = {"mobile", "cell", "mobil", "movil", "mobiel"}
_NUMBER_WORDS = {"number", "no", "num", "nbr", "nummer", "numero"}  # not "nr": 5G NR


def is_phone_name(column: str) -> bool:
    """A column named for phone numbers ('msisdn', 'MobilePhone', 'cell_no', 'tel')."""
    words = _name_words(column) - {""}
    if words & _PHONE_WORDS:
        return True
    return bool(words & _MOBILE_WORDS) and (words <= _MOBILE_WORDS
                                            or bool(words & _NUMBER_WORDS))


def is_event_date_name(column: str) -> bool:
    """A column named for an event's date ('activation_date', 'createdAt', 'renewed_on'),
    and not for a birth."""
    words = _name_words(column)
    return bool(words & _EVENT_DATE_WORDS) and not words & _BIRTH_WORDS


def is_labelled(column: str) -> bool:
    """A column whose values name segments or lists (their names can be sensitive)."""
    return any(w in column.lower() for w in _LABELLED)


#: Payment card number ranges (issuer identification number prefixes, low..high of one width)
#: and the lengths issued in them: Visa, Mastercard (51-55 and the 2-series), American
#: Express, Discover, JCB, Diners Club, UnionPay, Mir, BORICA, RuPay, UzCard, Humo, Troy,
#: Maestro (Elo, Hipercard, Verve, Dankort inside its ranges), UATP. A Luhn-valid run of
#: digits outside them is a phone number, an IMEI (15 digits, Luhn by design, mostly 35...) or
#: a SIM's ICCID (89...), not a card: a German mobile (+49 151 ...) passed Luhn one time in ten.
_CARD_RANGES: tuple[tuple[int, int, int, tuple[int, ...]], ...] = (
    # (prefix width, low, high, lengths); Visa's 13 digits are no longer issued but still
    # printed in test data (4222222222222): a valid phone number of 13 digits is left out below
    (1, 4, 4, (13, 16, 19)),
    (2, 51, 55, (16,)), (4, 2221, 2720, (16,)),
    (2, 34, 34, (15,)), (2, 37, 37, (15,)),
    (4, 6011, 6011, (16, 17, 18, 19)), (3, 644, 649, (16, 17, 18, 19)),
    (2, 65, 65, (16, 17, 18, 19)),
    (4, 3528, 3589, (16, 17, 18, 19)),
    (3, 300, 305, (14, 15, 16, 17, 18, 19)), (4, 3095, 3095, (14, 15, 16, 17, 18, 19)),
    (2, 36, 36, (14, 15, 16, 17, 18, 19)), (2, 38, 39, (14, 15, 16, 17, 18, 19)),
    (2, 62, 62, (16, 17, 18, 19)),
    (4, 2200, 2205, (16, 17, 18, 19)),  # Mir, BORICA
    (2, 81, 82, (16,)),  # RuPay
    (4, 8600, 8600, (16,)), (4, 9860, 9860, (16,)), (4, 9792, 9792, (16,)),  # UzCard, Humo, Troy
    (2, 50, 50, (13, 14, 15, 16, 17, 18, 19)), (2, 56, 69, (13, 14, 15, 16, 17, 18, 19)),
    (1, 1, 1, (15,)),
)


#: Where an IBAN may start: two letters and two check digits, not inside a word.
_IBAN_START = re.compile(r"(?<![A-Z0-9])[A-Z]{2}[0-9]{2}[A-Z0-9]*(?:[ \-][A-Z0-9]+)*")


#: An IBAN written in capitals in groups of four ('DE89 3704 0044 0532 0130 00'): its
#: '0044' is no international prefix of a phone number (see :func:`find_iban`).
IBAN_GROUPS = r"\b[A-Z]{2}[0-9]{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?\b"


@cache
def iban_start() -> str:
    """Where an IBAN may start, for a first pass over many values (case-insensitive): the
    code of a country with IBANs in the registry, two check digits and 11 to 30 more letters
    or digits (0.7% of random 20-character tokens of letters and digits start so)."""
    import pycountry
    from schwifty import registry
    from schwifty.exceptions import SchwiftyException

    codes = []
    for country in pycountry.countries:
        try:
            registry.get_iban_spec(country.alpha_2)
        except (SchwiftyException, KeyError):
            continue
        codes.append(country.alpha_2)
    return (rf"(?i)(?:^|[^a-z0-9])(?:{'|'.join(sorted(codes))})[0-9]{{2}}"
            r"(?:[ \-]?[a-z0-9]){11,30}(?:$|[^a-z0-9])")


def find_iban(text: str) -> str | None:
    """The first IBAN written in ``text`` (in groups of four or not, either case), compact
    and in capitals, or None: its country, length, layout and check digits hold (schwifty,
    the registry's rules; a random code of the right layout passes one time in 97). The
    bank's own account check is not asked for: a registry of every bank's method is not."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    for match in _IBAN_START.finditer(text.upper()):
        tokens = re.split(r"[ \-]", match.group(0))
        for k in range(len(tokens), 0, -1):  # the longest run of groups that is one
            candidate = "".join(tokens[:k])
            if len(candidate) < 15:
                break
            if len(candidate) > 34:
                continue
            try:
                IBAN(candidate)
            except SchwiftyException:
                continue
            return candidate
    return None


def is_card(digits: str) -> bool:
    """A payment card number: Luhn-valid, of a length issued under its prefix."""
    return luhn(digits) and any(
        int(digits[:width]) in range(low, high + 1) and len(digits) in lengths
        for width, low, high, lengths in _CARD_RANGES)


def luhn(digits: str) -> bool:
    """A payment card number's check digit holds (13 to 19 digits, not one repeated)."""
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    d = np.frombuffer(digits.encode(), dtype=np.uint8) - 48
    d = d[::-1].astype(int)
    doubled = d[1::2] * 2
    return int(d[::2].sum() + (doubled - 9 * (doubled > 9)).sum()) % 10 == 0


#: "john [at] example [dot] com": the brackets people write to hide an address from scrapers.
_SPELLED_AT = r"(?i)\s*[\[({<]\s*at\s*[\])}>]\s*"
_SPELLED_DOT = r"(?i)\s*[\[({<]\s*dot\s*[\])}>]\s*"


@cache
def _decimal_digits() -> tuple[list[str], list[str]]:
    """Every decimal digit past ASCII (Arabic-Indic, Devanagari, Thai...) and its ASCII digit."""
    chars = [chr(c) for c in range(0x80, sys.maxunicode + 1)
             if unicodedata.category(chr(c)) == "Nd"]
    return chars, [str(unicodedata.digit(ch)) for ch in chars]


def visible(values: pl.Series) -> pl.Series:
    """The text as a reader sees it, for the plaintext scan: an identifier disguised in Unicode
    is still an identifier. Past ASCII: compatibility forms as their plain ones (NFKC: the
    full-width "＠" and digits), invisible format characters (zero-width spaces, direction
    marks) removed, every script's decimal digits as ASCII digits; and addresses spelled with
    bracketed "at" and "dot" as written with "@" and ".". Nulls stay null."""
    wide = (values.str.len_bytes() != values.str.len_chars()).fill_null(False)
    if bool(wide.any()):
        rows = wide.arg_true()
        chars, digits = _decimal_digits()
        seen = (values.gather(rows).str.normalize("NFKC").str.replace_all(r"\p{Cf}", "")
                .str.replace_many(chars, digits))
        values = values.scatter(rows, seen)
    return values.str.replace_all(_SPELLED_AT, "@").str.replace_all(_SPELLED_DOT, ".")
