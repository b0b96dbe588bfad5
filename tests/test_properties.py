"""Hypothesis invariants: idempotence, hash formats, keyed vs unkeyed, no crash on any text."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import privacy
from privacy._normalize import PLACEHOLDERS
from privacy._platforms import rules_for_platform

ANY_TEXT = st.text(max_size=40)
# The reference test for "already hashed": hex of MD5, SHA-1 or SHA-256 length, either case.
_HASH_LIKE = r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$"
PAIRS = [(p, k) for p in privacy.PLATFORMS for k in rules_for_platform(p)]
PLATFORM_KIND = st.sampled_from(PAIRS)

_emails = st.builds(
    lambda local, tag, dom, tld, upper: (
        f"{local}{'+' + tag if tag else ''}@{dom}.{tld}".upper() if upper
        else f" {local}{'+' + tag if tag else ''}@{dom}.{tld} "
    ),
    st.from_regex(r"[a-z0-9][a-z0-9._]{0,10}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[a-z0-9]{0,5}", fullmatch=True),
    st.sampled_from(["gmail", "googlemail", "example", "yahoo", "exämple"]),
    st.sampled_from(["com", "co.uk", "de"]),
    st.booleans(),
)
_names = st.text(alphabet=st.characters(categories=["L", "Zs", "Pd", "Po", "Mn"]), max_size=20)


def _value_for(kind: str, draw_text: str) -> str:
    return draw_text


@given(platform=st.sampled_from(privacy.PLATFORMS), email=_emails)
@example(platform="google", email="a.b.c+x@googlemail.com")
def test_email_idempotent(platform: str, email: str) -> None:
    once = privacy.normalize(email, "email", platform)
    if once is not None:
        assert privacy.normalize(once, "email", platform) == once


_TEXT_KINDS = [(p, k) for p, k in PAIRS if k in ("first_name", "last_name", "city", "state")]


@given(pk=st.sampled_from(_TEXT_KINDS), text=_names)
@example(pk=("meta", "first_name"), text="i-\u0301")  # an accent after a removed hyphen
@example(pk=("meta", "city"), text="Sa o\u0301 Paulo")
@example(pk=("google", "last_name"), text="Mu'\u0308ller")
@example(pk=("meta", "state"), text="Ba-\u0308den")
def test_names_and_places_come_out_in_nfc(pk: tuple[str, str], text: str) -> None:
    """Punctuation was removed after NFC, so an accent that followed it was left beside its
    letter uncomposed ("i\u0301", not "\u00ed"): the output was not NFC, and the same name
    typed composed hashed differently. Canonically equivalent inputs give one output."""
    platform, kind = pk
    once = privacy.normalize(text, kind, platform, default_region="DE")
    if once is not None:
        assert unicodedata.is_normalized("NFC", once)
    for form in ("NFC", "NFD"):
        assert privacy.normalize(unicodedata.normalize(form, text), kind, platform,
                                 default_region="DE") == once


@given(pk=PLATFORM_KIND, text=ANY_TEXT)
@example(pk=("meta", "first_name"), text="İstanbul")
@example(pk=("google", "last_name"), text="Dr. Jr")
def test_idempotent_every_kind_on_any_text(pk: tuple[str, str], text: str) -> None:
    """normalize(normalize(x)) == normalize(x), whatever x is (region fixed)."""
    platform, kind = pk
    once = privacy.normalize(text, kind, platform)
    if once is not None:
        assert privacy.normalize(once, kind, platform) == once


@given(
    region=st.sampled_from(["US", "GB", "DE", "FR", "IT", "AU", "JP", "BR", "IN"]),
    kind=st.sampled_from([phonenumbers.PhoneNumberType.MOBILE,
                          phonenumbers.PhoneNumberType.FIXED_LINE]),
    platform=st.sampled_from(["meta", "google", "uid2", "tiktok", "snap"]),
)
def test_phone_idempotent_in_its_region(region: str, kind: int, platform: str) -> None:
    number = phonenumbers.example_number_for_type(region, kind)
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    once = privacy.normalize(text, "phone", platform, region)
    assert once is not None
    assert privacy.normalize(once, "phone", platform, region) == once


@given(pk=PLATFORM_KIND, values=st.lists(ANY_TEXT | st.none(), max_size=8))
def test_never_crashes_and_keeps_length(pk: tuple[str, str], values: list[str | None]) -> None:
    platform, kind = pk
    out = privacy.normalize(values, kind, platform, reasons=True)
    assert out.height == len(values)
    # a value is rejected exactly when it has a reason
    assert (out["value"].is_null() == out["reason"].is_not_null()).all()


@given(text=st.text(min_size=1, max_size=30),
       key=st.binary(min_size=32, max_size=64).filter(lambda k: len(set(k)) >= 8))
def test_hash_formats_and_keying(text: str, key: bytes) -> None:
    plain = privacy.Hasher().hash(text)
    assert re.fullmatch(r"[0-9a-f]{64}", plain)
    b64 = privacy.Hasher(encoding="base64").hash(text)
    assert len(b64) == 44
    assert b64.endswith("=")
    keyed = privacy.Hasher(key=key).hash(text)
    assert re.fullmatch(r"[0-9a-f]{64}", keyed)
    assert keyed != plain
    # deterministic, and a Series gives the same as a str
    assert privacy.Hasher(key=key).hash([text]).to_list() == [keyed]


@given(platform=st.sampled_from(["meta", "linkedin", "x", "snap"]),
       values=st.lists(_emails | ANY_TEXT | st.none(), min_size=1, max_size=12))
@example(platform="meta", values=["ÉMILE@Example.COM", "Straße@x.de", "\u0130@x.com"])
def test_email_ascii_shortcut_is_exact(platform: str, values: list[str | None]) -> None:
    """Bytewise lower-casing (non-ASCII values redone in NFC) gives what a hand-written rule
    gives: trim, lower case in NFC. The reference is plain Python, not the library's plans."""
    import unicodedata

    out = privacy.normalize(values, "email", platform, reasons=True)
    for raw, value, reason in zip(values, out["value"], out["reason"], strict=True):
        if value is None:
            continue
        assert reason is None
        stripped = raw.strip()
        nfc = unicodedata.normalize("NFC", unicodedata.normalize("NFC", stripped).lower())
        assert value == nfc


_hexish = st.builds(
    lambda n, upper, data: data.draw(st.text(alphabet="0123456789abcdefABCDEF" if upper
                                             else "0123456789abcdef", min_size=n, max_size=n)),
    st.sampled_from([31, 32, 33, 40, 41, 63, 64, 65]), st.booleans(), st.data(),
)
_placeholder_like = st.builds(
    lambda p, flips: "".join(c.upper() if f else c for c, f in zip(p, flips + [False] * 40,
                                                                    strict=False)),
    st.sampled_from(list(PLACEHOLDERS)), st.lists(st.booleans(), max_size=40),
)


@given(kind=st.sampled_from(["email", "phone", "first_name", "zip", "maid", "external_id"]),
       values=st.lists(_hexish | _placeholder_like | ANY_TEXT | st.none(), min_size=1,
                       max_size=10).map(lambda v: [*v, " " + str(v[0]) + " "]))
def test_common_rejections_come_first(kind: str, values: list[str | None]) -> None:
    """Empty, placeholder (any case) and already hashed (hex of digest length, any case) come
    first, in that order, for every kind; a mobile ad id is never "already hashed"."""
    import polars as pl

    got = privacy.normalize(values, kind, "meta", reasons=True)["reason"].to_list()
    for value, reason in zip(values, got, strict=True):
        text = (value or "").strip()
        if not text:
            assert reason == "empty"
        elif text.lower() in PLACEHOLDERS:
            assert reason == "placeholder"
        elif kind != "maid" and re.fullmatch(_HASH_LIKE, text):
            assert reason == "already_hashed"
        else:
            assert reason not in ("empty", "placeholder", "already_hashed"), (kind, reason)
    assert pl.Series(got).len() == len(values)


@given(st.lists(st.integers(0, 255), min_size=1, max_size=7, unique=True),
       st.integers(32, 64), st.randoms(use_true_random=False))
def test_keys_with_few_distinct_bytes_are_refused(alphabet: list[int], size: int,
                                                  rnd) -> None:
    key = bytes(rnd.choice(alphabet) for _ in range(size))
    with pytest.raises(privacy.InvalidInputError, match="distinct byte values"):
        privacy.Hasher(key=key)


def _uid2_reference(email: str) -> str:
    """UID2's operator (InputUtil.normalizeEmailString) on a well-formed address: blanks
    around it dropped, A-Z lower-cased and nothing else, and for gmail.com only the local
    part's dots and its +tag removed."""
    lowered = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in email.strip())
    local, _, domain = lowered.partition("@")
    if domain == "gmail.com":
        local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"


@given(local=st.text(alphabet="abcXYZéÉÅøØß.+1", min_size=1, max_size=12),
       domain=st.sampled_from(["example.com", "EXAMPLE.COM", "gmail.com", "GMAIL.COM",
                               "bücher.de", "BÜCHER.DE", "googlemail.com"]),
       nfd=st.booleans())
@example(local="ÉLISE.Dupont", domain="example.com", nfd=False)
@example(local="J.O.S.É+x", domain="GMAIL.COM", nfd=True)
def test_uid2_lower_cases_ascii_letters_only(local: str, domain: str, nfd: bool) -> None:
    # before: 'ÉLISE@example.com' was hashed as 'élise@example.com' (Unicode lower case and
    # NFC, as Meta and Google want); UID2 lower-cases ASCII only, so its hash matched nobody
    email = f" {local}@{domain} "
    if nfd:
        email = unicodedata.normalize("NFD", email)
    got = privacy.normalize(email, "email", "uid2")
    if got is not None:
        assert got == _uid2_reference(email)
