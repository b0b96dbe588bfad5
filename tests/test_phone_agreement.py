"""The vectorized phone path agrees with phonenumbers (parse + is_valid_number + E.164)."""

from __future__ import annotations

import phonenumbers
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import privacy
from privacy._normalize import _phone_frame, _phone_lanes_frame
from privacy._phone import express_plan, normalize_phones, reference_e164
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
        # no calling code starts with 0: '+033...' was read as France's +33, '+01...' as +1
        ("+033 30 234 5678", "GH", None),
        ("+01 20-1234-5678", "US", None),
        ("+040800123456", "GQ", None),
        ("+0033 3 02 34 56 78", "GH", "+33302345678"),  # +00 is an IDD to phonenumbers
    ],
)
def test_formats(text: str, region: str, e164: str | None) -> None:
    assert privacy.normalize(text, "phone", "google", region) == reference_e164(text, region)[0]
    if e164 is not None:
        assert privacy.normalize(text, "phone", "google", region) == e164


def _example_numbers() -> tuple[list[str], list[str]]:
    """Every region's example number of every type, written nationally and internationally,
    each under its own region and under the US's."""
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    texts, regions = [], []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE,
                     PhoneNumberType.TOLL_FREE, PhoneNumberType.VOIP):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            for fmt in (PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL):
                text = phonenumbers.format_number(example, fmt)
                texts += [text, text, "+0" + text.lstrip("+")]
                regions += [region, "US", region]
    return texts, regions


def test_every_regions_examples_agree_with_phonenumbers_exactly() -> None:
    """Per-row regions XK, AC and TA (phonenumbers' regions that ISO 3166-1 does not list)
    were unknown countries, though one default_region='XK' was taken; a '+' then 0 was read
    as the calling code after the 0. Every row now gets phonenumbers' own answer."""
    texts, regions = _example_numbers()
    got = privacy.normalize(texts, "phone", "google", default_region=regions).to_list()
    want = [reference_e164(text, region)[0] for text, region in zip(texts, regions, strict=True)]
    wrong = [(t, r, g, w) for t, r, g, w in zip(texts, regions, got, want, strict=True) if g != w]
    assert not wrong, wrong[:5]
    assert sum(w is not None for w in want) > len(want) / 2


def test_phone_regions_iso_does_not_list_are_read_per_row_as_alone() -> None:
    texts = ["028 412 345", "028 412 345", "40123", "8999", "650 555 1212"]
    rows = privacy.normalize(texts, "phone", "google",
                             default_region=["XK", "Kosovo", "AC", "Tristan da Cunha", "us"])
    assert rows.to_list() == ["+38328412345", "+38328412345", "+24740123", "+2908999",
                              "+16505551212"]
    assert privacy.normalize("028 412 345", "phone", "google", "XK") == "+38328412345"
    # a country column keeps to ISO 3166-1: Kosovo has no code there
    assert privacy.normalize(["XK", "Kosovo"], "country", "meta").to_list() == [None, None]
    unknown = privacy.normalize(["028 412 345"], "phone", "google", default_region=["Narnia"],
                                reasons=True)
    assert unknown.row(0) == (None, "unknown_country")


def test_meta_phone_has_no_plus_or_leading_zero() -> None:
    out = privacy.normalize(["+44 20 7946 0018", "(650) 555-1212"], "phone", "meta")
    assert out.to_list() == ["442079460018", "16505551212"]


def test_per_row_regions_accept_country_names() -> None:
    out = privacy.normalize(
        pl.Series(["020 7946 0018", "(650) 555-1212"]), "phone", "google",
        default_region=["United Kingdom", "us"],
    )
    assert out.to_list() == ["+442079460018", "+16505551212"]


def _with_plain_codes(corpus: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The corpus plus each number's E.164 digits without the plus (the meta format)."""
    raw = [text for text, _ in corpus]
    regions = [region for _, region in corpus]
    for text, region in corpus[:2_000]:
        e164 = reference_e164(text, region)[0]
        if e164 is not None:
            raw.append(e164[1:])
            regions.append(region)
    return raw, regions


def test_express_lane_decides_rows_as_the_general_path_does() -> None:
    raw, regions = _with_plain_codes(phone_corpus(8_000, seed=11))
    series = pl.Series(raw, dtype=pl.Utf8)
    # Per-row regions (grouped lanes), then each region alone (one lane for the whole input).
    fast = normalize_phones(series, pl.Series(regions))
    slow = normalize_phones(series, pl.Series(regions), express=False)
    assert fast[0].eq_missing(slow[0]).all()
    assert fast[1].eq_missing(slow[1]).all()
    for region in ("US", "GB", "DE", "IT", "AU", "CA", "AR"):
        one = pl.repeat(region, len(series), eager=True)
        fast = normalize_phones(series, one)
        slow = normalize_phones(series, one, express=False)
        assert fast[0].eq_missing(slow[0]).all(), region
        assert fast[1].eq_missing(slow[1]).all(), region


@pytest.mark.parametrize("platform", ["meta", "google", "snap", "linkedin"])
def test_fused_phone_plan_equals_the_general_path(platform: str) -> None:
    corpus = phone_corpus(3_000, seed=5)
    raw, regions = _with_plain_codes(corpus)
    raw += ["", "  ", None, "null", "N/A", "a" * 64, "16505551212", "4915112345678", "+"]
    regions += ["US", "DE", "GB", "FR", "US", "DE", "US", "DE", "GB"]
    series = pl.Series(raw, dtype=pl.Utf8)
    # one region for all rows (one lane, no gathering), then each row's own region (lanes per
    # region, CA/AR/JP... the general way)
    cases = [pl.repeat(r, len(series), eager=True) for r in ("US", "DE", "GB", "FR")]
    for one in [*cases, pl.Series(regions)]:
        fused = _phone_lanes_frame(series, platform, one)
        general = _phone_frame(series, platform, one)
        assert fused["value"].eq_missing(general["value"]).all(), one[0]
        assert fused["reason"].eq_missing(general["reason"]).all(), one[0]


def test_regions_without_an_express_lane_are_named() -> None:
    # Canada shares +1 behind the US; Argentina needs its transform rule; both take the general way.
    assert express_plan("US") is not None
    assert express_plan("CA") is None
    assert express_plan("AR") is None


@given(st.text(alphabet="0123456789 +-().", max_size=20), st.sampled_from(["US", "GB", "DE", "IN"]))
def test_express_lane_agrees_on_arbitrary_digit_text(text: str, region: str) -> None:
    series = pl.Series([text], dtype=pl.Utf8)
    one = pl.Series([region])
    fast = normalize_phones(series, one)
    slow = normalize_phones(series, one, express=False)
    assert (fast[0].to_list(), fast[1].to_list()) == (slow[0].to_list(), slow[1].to_list())
