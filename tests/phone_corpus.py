"""A generated corpus of phone numbers in mixed formats, valid and invalid, for agreement tests."""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

#: Regions the corpus draws from: at least 20, across numbering plans with and without trunk
#: prefixes, shared calling codes (+1, +7, +44), Italy's kept 0 and transform rules (AR, MX, BR).
REGIONS = (
    "US", "CA", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI",
    "PL", "PT", "IE", "AU", "NZ", "JP", "KR", "IN", "SG", "HK", "BR", "MX", "AR", "ZA", "NG",
    "KE", "EG", "AE", "SA", "TR", "RU", "UA", "CN", "ID", "PH", "JM", "PR", "GG", "JE",
)
_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE)


def _mutate_digits(nsn: str, rng: random.Random) -> str:
    digits = list(nsn)
    for i in range(len(digits) - 1, max(len(digits) - 5, 0), -1):
        digits[i] = str(rng.randrange(10))
    if rng.random() < 0.15:
        digits[0] = str(rng.randrange(10))
    return "".join(digits)


def _styled(number: phonenumbers.PhoneNumber, region: str, rng: random.Random) -> str:
    style = rng.randrange(9)
    if style == 0:
        text = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    elif style == 1:
        text = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    elif style in (2, 3):
        text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    elif style == 4:
        text = "00" + phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
    elif style == 5:
        text = "011 " + phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)[1:]
    elif style == 6:
        # country code without the plus, digits only
        text = phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
    elif style == 7:
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        text = national.replace(" ", rng.choice(["-", ".", "", " "]))
    else:
        intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
        text = intl.replace(" ", rng.choice(["-", ".", " "]), 1)
    if rng.random() < 0.05:
        text += rng.choice([" ext. 12", " x123", " #45", " ext 9"])
    if rng.random() < 0.05:
        text = f"  {text} "
    return text


def phone_corpus(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` (raw text, default region) pairs, about a quarter of them invalid in some way."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    while len(out) < n:
        region = rng.choice(REGIONS)
        example = phonenumbers.example_number_for_type(region, rng.choice(_TYPES))
        if example is None:
            continue
        nsn = _mutate_digits(phonenumbers.national_significant_number(example), rng)
        roll = rng.random()
        if roll < 0.05:
            nsn = nsn[: rng.randrange(1, max(len(nsn) - 1, 2))]  # too short
        elif roll < 0.08:
            nsn += "".join(str(rng.randrange(10)) for _ in range(rng.randrange(1, 5)))
        try:
            number = phonenumbers.parse("+" + str(example.country_code) + nsn, None)
        except phonenumbers.NumberParseException:
            continue
        default = region if rng.random() < 0.8 else rng.choice(REGIONS)
        text = _styled(number, region, rng)
        if rng.random() < 0.02:
            text = rng.choice(["n/a", "unknown", "+", "--", "12", "call me", "555-CALL-NOW"])
        out.append((text, default))
    return out
