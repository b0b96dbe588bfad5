"""The vectorized phone path agrees with phonenumbers (parse + is_valid_number + E.164)."""

from __future__ import annotations

import phonenumbers
import polars as pl
import pytest

import privacy
from privacy._phone import reference_e164
from tests.phone_corpus import REGIONS, phone_corpus


def test_corpus_covers_twenty_regions() -> None:
    assert len(set(REGIONS)) >= 20


def test_agreement_with_phonenumbers_on_mixed_corpus() -> None:
    corpus = phone_corpus(20_000, seed=7)
    raw = [text for text, _ in corpus]
    regions = [region for _, region in corpus]
    got = privacy.normalize(raw, "phone", "google", default_region=regions).to_list()
    expected = []
    for text, region in corpus:
        try:
            number = phonenumbers.parse(text, region)
            ok = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            ok = False
        expected.append(
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if ok else None
        )
    agree = sum(g == e for g, e in zip(got, expected, strict=False)) / len(corpus)
    valid_share = sum(e is not None for e in expected) / len(corpus)
    assert 0.4 < valid_share < 0.9, "the corpus must mix valid and invalid numbers"
    assert agree >= 0.999


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("+44 (0)20 7946 0018", "US", "+442079460018"),  # trunk 0 inside an international number
        ("0044 20 7946 0018", "DE", "+442079460018"),  # 00 prefix
        ("011 44 20 7946 0018", "US", "+442079460018"),  # 011 prefix
        ("06 12 34 56 78", "FR", "+33612345678"),  # trunk 0 stripped
        ("06 1234 5678", "IT", "+390612345678"),  # Italy keeps the leading 0
        ("16505551212", "US", "+16505551212"),  # code without plus
        ("(650) 555-1212 ext. 12", "US", "+16505551212"),  # extension dropped
        ("+1 876 555 0123", "US", None),  # Jamaica's area code claims the number
        ("0911 23456789", "AR", "+5491123456789"),  # Argentina's transform rule via reference
    ],
)
def test_formats(text: str, region: str, e164: str | None) -> None:
    assert privacy.normalize(text, "phone", "google", region) == reference_e164(text, region)[0]
    if e164 is not None:
        assert privacy.normalize(text, "phone", "google", region) == e164


def test_meta_phone_has_no_plus_or_leading_zero() -> None:
    out = privacy.normalize(["+44 20 7946 0018", "(650) 555-1212"], "phone", "meta")
    assert out.to_list() == ["442079460018", "16505551212"]


def test_per_row_regions_accept_country_names() -> None:
    out = privacy.normalize(
        pl.Series(["020 7946 0018", "(650) 555-1212"]), "phone", "google",
        default_region=["United Kingdom", "us"],
    )
    assert out.to_list() == ["+442079460018", "+16505551212"]
