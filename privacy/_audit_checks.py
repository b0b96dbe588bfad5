"""The audit's checks: each a function of the export's facts (and its own arguments) that
returns findings. No check reads another's state; what one needs of another is passed in.

Findings name their column as it may be shown (masked when the header looks like data) and
carry masked samples only. They hold nothing measured at run time: the same export gives the
same findings on any machine.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from . import _audit_patterns as pat
from ._audit_counts import ROWS
from ._audit_domains import DOMAIN_KINDS, WRITTEN
from ._audit_facts import ID_KINDS, ExportFacts
from ._audit_report import Finding
from ._errors import ManifestError
from ._hashing import Hasher
from ._headers import fold_header
from ._manifest import file_sha256, manifest_problems, verify_manifest
from ._platforms import MAX_ROWS, MIN_AUDIENCE, rules_for_platform
from ._redact import mask, rows_text, safe_name

__all__ = [
    "GPU_HASHES_PER_SECOND", "US_PHONE_PLAN", "check_anonymous", "check_combined",
    "check_dictionary", "check_duplicates", "check_encoding", "check_formats", "check_frequency",
    "check_k_anonymity", "check_manifest", "check_phones", "check_plaintext", "check_reversal",
    "check_sensitive", "check_size",
]

_SENSITIVE = re.compile(pat.SENSITIVE, re.IGNORECASE)
_ANONYMOUS = re.compile(r"anonymi[sz]|anonymous", re.IGNORECASE)
#: Words of a header and the field each names: a header naming two fields ("name_zip_dob") is a
#: combined key; "first_name" or "last_name" names one.
_COMBINED_FIELDS = {"name": "name", "first": "name", "last": "name", "zip": "zip",
                    "postcode": "zip", "dob": "dob", "birth": "dob", "email": "email",
                    "phone": "phone"}
#: Hash rate of one current GPU for SHA-256 (spec, "Keyed pseudonyms"): a published figure,
#: not a measurement, so findings stay the same on every machine.
GPU_HASHES_PER_SECOND = 22e9
US_PHONE_PLAN = 6.4e9

#: How people call each kind and domain.
WORDS = {"dob": "date of birth", "date_of_birth": "date of birth", "birth_year": "birth year",
         "first_name": "first name", "last_name": "last name", "zip": "ZIP code",
         "state": "state", "country": "country", "gender": "gender", "city": "city",
         "email": "email", "phone": "phone number", "maid": "mobile ad id",
         "external_id": "external id", "junk": "placeholder"}


class _Findings(list[Finding]):
    def __init__(self, facts: ExportFacts) -> None:
        super().__init__()
        self.facts = facts

    def add(self, check: str, severity: str, column: str | None, count: int | None,
            message: str, remedy: str) -> None:
        rows = self.facts.rows
        share = (count / rows if rows else 0.0) if count is not None else None
        shown = self.facts.shown.get(column, safe_name(column)) if column is not None else None
        self.append(Finding(check, severity, shown, count, share, message, remedy))


def _reversal_remedy(partner: bool, what: str | None) -> str:
    """What to do with a reversible column: ``what`` is its kind in words, None when unknown."""
    column = f"the {what} column" if what else "this column"
    if partner:
        return f"key {column} with HMAC-SHA256 (a 32+ byte secret), or drop it"
    return (f"drop {column} unless it measurably lifts the match rate: the platform's "
            "unkeyed SHA-256 is reversible by design")


# --- formats -------------------------------------------------------------------------------------


def check_formats(facts: ExportFacts) -> list[Finding]:
    out = _Findings(facts)
    want_b64 = facts.platform == "uid2"
    for c, raw in facts.raw_digests.items():
        if raw:
            out.add("hash_format", "high", c, raw,
                    f"{_values(raw, 'are')} raw digest bytes (a binary column), not text; "
                    "audited as their hex", "write digests as text: lower-case hex "
                    "(Base64 of the raw digest for uid2)")
    for c in facts.hashed:
        s = facts.stats[c]
        n = s["n"]
        if facts.guess[c] in ("md5_hex", "sha1_hex"):
            algo = "MD5" if facts.guess[c] == "md5_hex" else "SHA-1"
            out.add("hash_format", "high", c, s["md5"] if algo == "MD5" else s["sha1"],
                    f"values are {algo} digests ({32 if algo == 'MD5' else 40} hex), "
                    "not SHA-256", "re-hash the normalized values with SHA-256")
            continue
        upper = s["hex64any"] - s["hex64"]
        if upper and not want_b64:
            out.add("hash_format", "medium", c, upper,
                    "SHA-256 hex in upper or mixed case; platforms expect lower case",
                    "write hex digests in lower case")
        if not want_b64 and s["hex64odd"]:
            out.add("hash_format", "high", c, s["hex64odd"],
                    "SHA-256 hex written with a 0x or blanks around it; platforms take the "
                    "64 hex characters alone (and the digests are as reversible as those)",
                    "write hex digests as 64 lower-case characters, nothing around them")
        if want_b64 and s["hex64any"] + s["hex64odd"]:
            out.add("hash_format", "high", c, s["hex64any"] + s["hex64odd"],
                    "hex digests where Base64 of the raw digest is expected (uid2)",
                    "encode the 32 raw digest bytes as Base64 (44 characters)")
        if want_b64 and s["b64odd"]:
            out.add("hash_format", "high", c, s["b64odd"],
                    "Base64 digests unpadded, URL-safe or with blanks around them where "
                    "standard padded Base64 is expected (uid2)",
                    "encode the 32 raw digest bytes as standard Base64 (44 characters, "
                    "ending in '=')")
        if not want_b64 and s["b64"] + s["b64odd"]:
            out.add("hash_format", "high", c, s["b64"] + s["b64odd"],
                    "Base64 digests where lower-case hex is expected",
                    "encode digests as 64 lower-case hex characters")
        other = (n - s["hex64any"] - s["hex64odd"] - s["b64"] - s["b64odd"] - s["md5"]
                 - s["sha1"])
        if other > 0:
            out.add("hash_format", "high", c, other,
                    "values of a hashed column that are not SHA-256 digests (wrong length "
                    "or characters)", "find where unhashed or truncated values came from")
    return out


# --- reversal ------------------------------------------------------------------------------------


def check_reversal(facts: ExportFacts) -> tuple[list[Finding], dict[str, int]]:
    """Findings, and the rows reversed per column (which the frequency check needs)."""
    out = _Findings(facts)
    reversed_rows: dict[str, int] = {}
    if facts.hits.height == 0:
        return out, reversed_rows
    by_column = {c: part for (c,), part in facts.hits.group_by("column")}
    for c in facts.hashed:
        part = by_column.get(c)
        if part is None:
            continue
        part = _placeholders_first(part, facts.kind_of(c)).with_columns(
            junk=pl.col("domain").list.eval(pl.element() == "junk").list.any(),
            double=pl.col("domain").list.eval(pl.element().str.ends_with("(double)")).list.any(),
            real=pl.col("domain").list.eval((pl.element() != "junk")
                                            & ~pl.element().str.ends_with("(double)")).list.any(),
        )
        junk = int(part.filter("junk")["rows"].sum())
        double = int(part.filter("double")["rows"].sum())
        real = part.filter("real")
        real_rows = int(real["rows"].sum())
        reversed_rows[c] = real_rows
        written = real.filter(_as_written(facts.kind_of(c)))
        if written.height:
            _written_finding(out, c, written)
        if junk:
            what = ("a hash of an empty or placeholder value" if junk == 1
                    else "hashes of empty or placeholder values")
            out.add("junk_hashes", "high", c, junk,
                    f"{_values(junk, 'are')} {what} (such as sha256 of '' or of 'null')",
                    "never hash empty or placeholder values; drop them")
        if double:
            out.add("hash_format", "high", c, double,
                    f"{_values(double, 'are')} {'a hash' if double == 1 else 'hashes'} of hashes",
                    "hash the normalized value once")
        if not real_rows:
            continue
        counts = dict(real.explode("domain").filter(pl.col("domain") != "junk")
                      .group_by("domain").agg(pl.col("rows").sum()).iter_rows())
        out.extend(_reversal_findings(facts, c, real_rows, counts))
    return out, reversed_rows


#: What a kind looks like written and normalized, for the finding on unnormalized hashes.
_WRITTEN_EXAMPLES = {"gender": "'Male' for 'm'", "dob": "'1980-01-02' for '19800102'",
                     "state": "'California' or 'CA' for 'ca'", "country": "'US' for 'us'",
                     "first_name": "'John' for 'john'", "last_name": "'SMITH' for 'smith'",
                     "city": "'New York' for 'newyork'"}


def _as_written(kind: str | None) -> pl.Expr:
    """Hits that are values as written: of the column's own kind when some of its domains
    are (a gender column's 'male' is a written gender, though it is a normalized surname),
    else of every domain they match."""
    own = [d for d, k in DOMAIN_KINDS.items() if k == kind]
    domains = pl.col("domain")
    written = pl.element().str.ends_with(WRITTEN)
    mine = pl.element().is_in(own)
    return (pl.when(domains.list.eval(mine).list.any())
            .then(domains.list.eval(pl.element().filter(mine).str.ends_with(WRITTEN)).list.all())
            .otherwise(domains.list.eval(written).list.all()))


def _written_finding(out: _Findings, c: str, written: pl.DataFrame) -> None:
    """Hashes of values as a CRM wrote them: no platform matches them (and they reverse)."""
    facts = out.facts
    rows = int(written["rows"].sum())
    # the column's own kind when it is among them ('Paris' is a first name too), else the
    # kind most rows match
    domains = (written.explode("domain").filter(pl.col("domain").str.ends_with(WRITTEN))
               .group_by("domain").agg(pl.col("rows").sum())
               .sort(["rows", "domain"], descending=[True, False])["domain"].to_list())
    kinds = [DOMAIN_KINDS[d] for d in domains]
    own = facts.kind_of(c)
    kind = own if own is not None and own in kinds else kinds[0]
    _not_normalized(out, c, rows, _plural(_words(kind)), _WRITTEN_EXAMPLES[kind])


def _not_normalized(out: _Findings, c: str, n: int, what: str, example: str) -> None:
    """The finding on ``n`` hashes of ``what`` (in words, plural) as written, not normalized:
    they cost the match (and reverse as easily)."""
    unmatched = ("they match no normalized hash" if out.facts.partner
                 else "the platform matches none of them")
    out.add("normalization", "medium", c, n,
            f"{_values(n, 'are')} {'a hash' if n == 1 else 'hashes'} of {what} as written, "
            f"not normalized ({example}): {unmatched}",
            "normalize before hashing (privacy.normalize, or privacy.prepare_upload)")


def _words(domain: str) -> str:
    """How people call a domain or kind ("gender as written" for its written forms)."""
    base = domain.removesuffix(WRITTEN)
    words = WORDS.get(base, base)
    return words + " as written" if base != domain else words


def _placeholders_first(hits: pl.DataFrame, kind: str | None) -> pl.DataFrame:
    """A hash of a placeholder ('null', 'test', 'na') that is also a word of some enumerated
    domain (the surname Null, Namibia's code) is a placeholder, not a reversed value, unless
    the domain is the column's own kind (a last-name column's 'null' is both)."""
    own = [d for d, k in DOMAIN_KINDS.items() if k == kind]
    keep = (pl.element() == "junk") | pl.element().is_in(own)
    return hits.with_columns(pl.when(pl.col("domain").list.contains("junk"))
                             .then(pl.col("domain").list.eval(pl.element().filter(keep)))
                             .otherwise(pl.col("domain")).alias("domain"))


def _reversal_findings(facts: ExportFacts, c: str, rows: int,
                       counts: dict[str, int]) -> list[Finding]:
    """The finding names the column's own kind; the domains that matched are said as such."""
    out = _Findings(facts)
    kind = facts.kind_of(c)
    ranked = sorted(counts, key=lambda d: (-counts[d], d))
    own = [d for d in ranked if DOMAIN_KINDS.get(d) == kind]
    column_words = WORDS.get(kind or "", "")
    of = f"{rows:,} of {facts.rows:,} rows"
    if own:
        others = [_words(d) for d in ranked if d not in own][:3]
        also = f" (some also match: {', '.join(others)})" if others else ""
        message = (f"{of} of this {column_words} column reversed by enumerating every "
                   f"{_words(own[0])} and hashing it{also}")
    else:
        matched = ", ".join(_plural(_words(d)) for d in ranked[:3])
        subject = f"this {column_words} column" if column_words else "this column"
        message = (f"{of} of {subject} reversed: their hashes are hashes of enumerated "
                   f"{matched}")
    out.add("reversible", "high" if facts.partner else "medium", c, rows, message,
            _reversal_remedy(facts.partner, column_words or None))
    if facts.partner:
        out.add("keying", "high", c, rows,
                "an unkeyed SHA-256 column: the audit reversed it without any key",
                "use HMAC-SHA256 with a secret key of 32+ bytes for partner exports")
    return out


#: A verb after "values", and after "1 value"
_SINGULAR = {"are": "is", "hold": "holds", "look like": "looks like", "start like": "starts like"}


def _values(n: int, verb: str) -> str:
    """``n`` values and their verb: "1 value holds", "2,500 values hold"."""
    return f"1 value {_SINGULAR[verb]}" if n == 1 else f"{n:,} values {verb}"


def _plural(words: str) -> str:
    """"dates of birth", "cities", "genders as written"."""
    if words.endswith(" as written"):
        return _plural(words.removesuffix(" as written")) + " as written"
    return {"date of birth": "dates of birth", "city": "cities",
            "country": "countries"}.get(words, words + "s")


#: How a number of the enumerated block is written: E.164 (Google, UID2), digits with the
#: country code (Meta, TikTok, Snap) and the national number a CRM keeps (no platform's form).
PHONE_FORMS = ("+1650", "1650", "650")


def phone_forms(platform: str | None) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The destination's form of a phone number, the forms it accepts (a partner's export may
    hold either international form) and the forms no normalization gives."""
    wanted = "1650" if platform in ("meta", "tiktok", "snap") else "+1650"
    normal = (wanted,) if platform is not None else ("+1650", "1650")
    return wanted, normal, tuple(f for f in PHONE_FORMS if f not in normal)


@functools.lru_cache(maxsize=8)
def phone_block(block: int, prefix: str) -> pl.Series:
    """Hashes of a block of the US numbering plan (650-000-0000 on) written with ``prefix``
    (one of :data:`PHONE_FORMS`), once per process."""
    numbers = pl.int_range(0, block, eager=True).cast(pl.Utf8).str.zfill(7)
    return Hasher().hash(prefix + numbers)


def check_phones(facts: ExportFacts, block: int) -> list[Finding]:
    """Hashed phone columns against the enumerated block of ``block`` US numbers; hashed
    columns of telco identifiers (:func:`_telco_hashes`)."""
    out = _Findings(facts)
    gpu = US_PHONE_PLAN / GPU_HASHES_PER_SECOND
    for c in [c for c in facts.hashed if facts.is_phone(c)]:
        form = "b64" if facts.guess[c] == "sha256_base64" else "hex"
        written = facts.tally("phone_written_" + form, c)[0]
        hits = facts.tally("phone_" + form, c)[0] + written
        if written:
            _not_normalized(out, c, written, "phone numbers", _phone_example(facts))
        projection = (f"{rows_text(hits)} found in a block of {block:,} US numbers; the whole "
                      f"US plan (6.4e9 numbers) takes {gpu:.2f} s on one current GPU")
        if not facts.partner:
            # platform uploads are unkeyed SHA-256 by the platform's own rules
            out.add("reversible", "medium", c, hits,
                    f"phone numbers are enumerable: {projection}",
                    _reversal_remedy(False, "phone number"))
        elif hits:
            out.add("reversible", "high", c, hits,
                    f"phone numbers are enumerable and were found: {projection}",
                    _reversal_remedy(True, "phone number"))
        else:
            out.add("reversible", "low", c, 0,
                    f"no number of the enumerated block was found (keyed, or not in it); "
                    f"if this column is unkeyed SHA-256: {projection}",
                    _reversal_remedy(True, "phone number"))
    out.extend(_telco_hashes(facts))
    return out


#: How many values an attacker enumerates to reverse a hashed telco identifier, and what
#: they are: one network's IMSIs (a country's and network's code, then up to 10 digits), one
#: handset model's IMEIs (its 8-digit type code, then 6 digits; the check digit follows) and
#: one SIM issuer's ICCIDs (89, country and issuer, then up to 12 digits).
_TELCO_SPACES = {"imsi": (1e10, "one network's IMSIs"),
                 "imei": (1e6, "one handset model's IMEIs"),
                 "iccid": (1e12, "one SIM issuer's ICCIDs")}


def _telco_hashes(facts: ExportFacts) -> list[Finding]:
    """Hashed columns named for a telco identifier: its values are numbers of a small, known
    space, as a phone's are (not reversed here: the network or model is not known)."""
    out = _Findings(facts)
    for c in facts.hashed:
        kind = pat.telco_id_name(c)
        if kind is None:
            continue
        space, what = _TELCO_SPACES[kind]
        out.add("reversible", "high" if facts.partner else "medium", c, None,
                f"{kind.upper()}s are enumerable: unkeyed SHA-256 of {what} ({space:.0e} "
                f"values) takes {space / GPU_HASHES_PER_SECOND:.2g} s on one current GPU",
                _reversal_remedy(True, kind.upper()) if facts.partner else
                f"drop the column: no ad platform takes {kind.upper()}s")
    return out


def _phone_example(facts: ExportFacts) -> str:
    if facts.partner:
        return "'6505550123', without the country code"
    wanted = phone_forms(facts.platform)[0]
    others = " or ".join(f"'{f}5550123'" for f in PHONE_FORMS if f != wanted)
    return f"{others} for '{wanted}5550123'"


def check_dictionary(facts: ExportFacts, size: int) -> list[Finding]:
    """Hashed email columns against a dictionary of ``size`` emails."""
    out = _Findings(facts)
    for c in [c for c in facts.hashed if facts.is_email(c)]:
        form = "b64" if facts.guess[c] == "sha256_base64" else "hex"
        written = facts.tally("dictionary_written_" + form, c)[0]
        hits = facts.tally("dictionary_" + form, c)[0] + written
        if written:
            _not_normalized(out, c, written, "emails",
                            "'Mary.Jones@Example.com' for 'mary.jones@example.com'")
        if hits:
            out.add("reversible", "high" if facts.partner else "medium", c, hits,
                    f"{hits:,} emails found by hashing a dictionary of {size:,}",
                    _reversal_remedy(facts.partner, "email"))
    return out


# --- frequency, combined keys, duplicates --------------------------------------------------------


def check_frequency(facts: ExportFacts, reversed_rows: dict[str, int]) -> list[Finding]:
    out = _Findings(facts)
    if facts.rows < 50:
        return out
    candidates = [c for c in facts.hashed if reversed_rows.get(c, 0) < 0.5 * facts.rows]
    counts = facts.counts.distinct(candidates)  # the reversed ones are already reported
    for c in candidates:
        distinct = counts[c]
        if distinct <= 100 or distinct / facts.rows < 0.01:
            top_share = facts.counts.top(c) / facts.rows
            values = "value" if distinct == 1 else "values"
            out.add("frequency", "high" if facts.partner else "low", c, distinct,
                    f"only {distinct:,} distinct {values} (top value {top_share:.1%} of rows): "
                    "guessable by frequency even when keyed",
                    "drop low-cardinality columns or generalize them before export")
    return out


def check_combined(facts: ExportFacts) -> list[Finding]:
    out = _Findings(facts)
    for c in facts.hashed:
        if facts.kind_of(c) is not None:  # a platform's column, or a known kind's name
            continue
        folded = re.sub(r"[^a-z]+", "_", c.lower())
        fields = list(dict.fromkeys(f for t, f in _COMBINED_FIELDS.items() if t in folded))
        if len(fields) >= 2 or any(w in folded for w in ("matchkey", "match_key", "composite",
                                                        "combined")):
            out.add("combined_key", "high" if facts.partner else "medium", c, None,
                    f"looks like a hash of combined fields ({'+'.join(fields) or 'a key'}): "
                    "name + ZIP + date of birth combinations are enumerable",
                    "key combined hashes with HMAC, or drop them")
    return out


def check_duplicates(facts: ExportFacts) -> list[Finding]:
    out = _Findings(facts)
    ids = [c for c in facts.hashed if not facts.kinds
           or facts.kinds.get(c, ("",))[0] in ID_KINDS]
    counts = facts.counts.distinct([ROWS, *ids])  # one pass for all of them
    dup_rows = facts.rows - counts[ROWS] if facts.rows else 0
    if dup_rows:
        out.add("duplicates", "low", None, dup_rows, f"{dup_rows:,} duplicated rows",
                "deduplicate before export")
    for c in ids:
        present = facts.stats[c]["n"]
        dups = present - counts[c] + (1 if present < facts.rows else 0)
        if dups > 0 and dups / max(present, 1) > 0.001:
            out.add("duplicates", "low", c, dups, f"{dups:,} repeated identifiers",
                    "deduplicate identifiers; repeats inflate counts and leak frequency")
    return out


# --- clear data ----------------------------------------------------------------------------------


def check_encoding(facts: ExportFacts) -> list[Finding]:
    """Values holding U+FFFD: bytes that were not UTF-8 (read as the replacement character,
    never guessed at), here or where the file came from. What they were cannot be audited,
    and a platform hashes the bytes it receives."""
    out = _Findings(facts)
    for c in facts.columns:
        n = facts.tally("undecodable", c)[0]
        if n:
            out.add("encoding", "low", c, n,
                    f"{_values(n, 'hold')} bytes that are not UTF-8 (read as U+FFFD, the "
                    "replacement character): what they were cannot be audited",
                    "audit the file with its encoding (encoding= / --encoding), and write "
                    "exports as UTF-8: a platform hashes the bytes it receives")
    return out


#: Columns whose names say a pattern's matches are something else: '10.3.1.2' or
#: '2024.05.01' in 'firmware_version' is a version; 'activation_date' holds no birth.
_NOT_THERE = {"ipv4": (pat.is_version_name,),
              "date": (pat.is_version_name, pat.is_event_date_name)}


def check_plaintext(facts: ExportFacts) -> list[Finding]:
    """Clear identifiers among the values that are not digests, from the tallies of every
    part (in a hashed column, other digests such as MD5 or upper case hold no clear data)."""
    out = _Findings(facts)
    hashed = set(facts.hashed)
    plain_ok = {h for h, (_, handling) in facts.kinds.items() if handling == "plain"}

    def per_column(check: str) -> list[tuple[str, int, str]]:
        found = [(c, *facts.tally(check, c)) for c in facts.columns]
        return [(c, n, str(sample)) for c, n, sample in found
                if n or (check == "phone" and (facts.tally("phone_bare", c)[0]
                                               or facts.tally("phone_national", c)[0]))]

    for check, severity, words in (("email", "critical", "email addresses"),
                                   ("phone", "critical", "phone numbers"),
                                   ("date", "high", "dates (of birth?)"),
                                   ("ssn", "critical", "US Social Security numbers"),
                                   ("ipv4", "high", "IPv4 addresses"),
                                   ("ipv6", "high", "IPv6 addresses")):
        for c, n, sample in per_column(check):
            if check == "phone":
                n, sample = _with_bare_phones(facts, c, n, sample)
            if not n or any(named(c) for named in _NOT_THERE.get(check, ())):
                continue
            out.add("plaintext", severity, c, n,
                    f"{_values(n, 'hold')} {words} in clear (e.g. {mask(sample)})",
                    "normalize and hash identifiers; drop what is not needed")
    for c, n, sample in per_column("zip"):
        if c not in plain_ok and c not in hashed:
            out.add("plaintext", "medium", c, n,
                    f"{_values(n, 'look like')} postal codes in clear (e.g. {mask(sample)})",
                    "hash postal codes, or generalize them (3-digit prefix)")
    for c, n, sample in per_column("formula"):
        out.add("spreadsheet_formula", "high", c, n,
                f"{_values(n, 'start like')} a spreadsheet formula (e.g. {mask(sample)}): opened "
                "in a spreadsheet, they run", "drop or escape them (a leading apostrophe)")
    out.extend(_digit_phones(facts))
    telco = _telco_ids(facts)
    out.extend(telco)
    ibans = per_column("iban")
    # a Luhn-valid IMEI or ICCID has a card's shape by design, an IBAN's account number may
    telco_shown = {f.column for f in telco}
    not_cards = ({c for c, _, _ in ibans}
                 | {c for c in facts.columns if facts.shown[c] in telco_shown})
    for c, n, sample in ibans:
        out.add("plaintext", "critical", c, n,
                f"{_values(n, 'hold')} bank account numbers (IBAN) in clear (e.g. "
                f"{sample[:2]}** **** {sample[-4:]})",
                "remove bank account numbers from the export; they never belong in an "
                "audience")
    for c, n, sample in per_column("card"):
        if c in not_cards:
            continue
        out.add("plaintext", "critical", c, n,
                f"{_values(n, 'hold')} Luhn-valid payment card numbers (e.g. ****{sample[-4:]})",
                "remove card numbers from the export; they never belong in an audience")
    out.extend(_names(facts))
    out.extend(_clear_columns(facts, {f.column for f in out if f.check == "plaintext"}))
    return out


#: What each telco identifier is, in a finding's words.
_TELCO_ID_WORDS = {"iccid": "SIM card serial numbers (ICCID)",
                   "imei": "handset identities (IMEI, a device's permanent number)",
                   "imsi": "subscriber identities (IMSI, a SIM's permanent number)"}
#: Values of a telco identifier a column holds at least to be found one by its values alone.
_FEW_IDS = 10


def _telco_ids(facts: ExportFacts) -> list[Finding]:
    """IMSIs, IMEIs and ICCIDs in clear: permanent identifiers of a subscriber, a handset or
    a SIM that no platform takes. Found in a column named for one when half its values are
    digits of such a length, or by the values alone: nearly all of a column's long digit
    runs Luhn-valid IMEIs (a random number passes one time in ten) or ICCIDs, or shaped like
    IMSIs of which nearly all share one network's first five digits and most differ in their
    first nine (a block of account numbers counted up shares those)."""
    out = _Findings(facts)
    for c in facts.columns:
        long, sample = facts.tally("long_digits", c)
        if not long or long < 0.5 * facts.tally("total", c)[0]:
            continue  # a few digit runs among other values: ids or amounts
        named = pat.telco_id_name(c)
        found: tuple[str, int, str | None] | None = None
        for kind in ("iccid", "imei", "imsi"):
            n, first = facts.tally(kind, c)
            # IMSIs by their values: nearly all of one network, not a block counted up
            network = (facts.tally("imsi_network", c)[0] >= 0.9 * n
                       and facts.tally("imsi_block", c)[0] < 0.5 * n) if kind == "imsi" else True
            if named == kind:
                found = (kind, long, sample)
            elif n >= _FEW_IDS and n >= 0.9 * long and network and named is None:
                found = (kind, n, first)
            if found is not None:
                break
        if found is not None:
            kind, n, first = found
            out.add("plaintext", "critical", c, n,
                    f"{_values(n, 'are')} {_TELCO_ID_WORDS[kind]} in clear "
                    f"(e.g. {mask(str(first))})",
                    "drop the column (no ad platform takes it), or HMAC-SHA256 it with a "
                    "key for a partner")
    return out


#: Identifier kinds that name a person on their own.
_DIRECT_KINDS = ("email", "phone", "first_name", "last_name")
#: Folded column names of full names and street addresses (no platform takes them).
_NAME_COLUMNS = frozenset({
    "full_name", "fullname", "customer_name", "subscriber_name", "contact_name",
    "cardholder_name", "account_holder_name", "street", "street_address", "streetaddress",
    "address", "address1", "address_1", "address_line", "address_line_1", "address_line1",
    "home_address", "postal_address", "mailing_address", "mailing_street", "billing_address",
    "billing_street", "shipping_address",
}) | pat.ADDRESS_WORDS


#: Different full names a column holds at least to be found a column of names by its values.
_FEW_NAMES = 3


def _clear_columns(facts: ExportFacts, reported: set[str | None]) -> list[Finding]:
    """Columns in clear that should not be: a kind the destination takes hashed (Meta's
    ``fn``, ``gen``, ``ct``), and names or street addresses in any export (a platform that
    does not take them, or a partner). The patterns find emails, phones and dates in clear;
    names, genders or cities have no pattern, so the column's name and the platform's layout
    say what they are (a column already reported in clear is not reported twice)."""
    out = _Findings(facts)
    rules = rules_for_platform(facts.platform) if facts.platform is not None else {}
    hashed = set(facts.hashed)
    for c in facts.columns:
        if c in hashed or facts.shown[c] in reported:
            continue
        n, sample = facts.clear_tally("total", c)
        if not n:
            continue
        kind = facts.kind_of(c)
        # by its name, or by its values: mostly street addresses, or people's names written
        # whole ('Mary Smith'), several different ones: the census' 1990 lists miss many
        # (Liam, Mateo, Priya), and a column of cities has a few per cent spelled like a name
        # ('Virginia Beach'), so a third is a column of names
        named = (kind in ("first_name", "last_name") or fold_header(c) in _NAME_COLUMNS
                 or facts.clear_tally("street", c)[0] >= 0.5 * n
                 or (facts.clear_tally("full_name", c)[0] >= n / 3
                     and facts.clear_tally("full_name_kinds", c)[0] >= _FEW_NAMES))
        rule = rules.get(kind) if kind is not None else None
        if rule is not None and rule.handling == "hash":
            what = f"in clear in a column {facts.platform} takes hashed ({rule.header})"
        elif named and rule is None:
            what = "names or street addresses in clear"
        else:
            continue
        out.add("plaintext", "critical" if named or kind in _DIRECT_KINDS else "high", c, n,
                f"{_values(n, 'are')} {what} (e.g. {mask(str(sample))})",
                "normalize and hash the column (HMAC-SHA256 for a partner), or drop it")
    return out


def _phone_named(facts: ExportFacts, column: str) -> bool:
    return facts.kind_of(column) == "phone" or pat.is_phone_name(column)


def _with_bare_phones(facts: ExportFacts, column: str, n: int,
                      sample: str) -> tuple[int, str]:
    """The phone count of ``column`` with its values of bare digits shaped like a US number
    ('6505551212') when they are phones: in a column named for phones, or when nearly all
    of the column's digit-only values are phones (with their country code, or shaped like a
    US number). A column of counts, bytes or durations has such values by chance (seven in
    ten 10-digit numbers have a US number's shape) among its other numbers. Numbers in a
    national form with a trunk 0 ('06 12 34 56 78', '0612345678') count in a column named
    for phones only."""
    national, national_sample = facts.tally("phone_national", column)
    if national and _phone_named(facts, column):
        n, sample = n + national, sample if n else str(national_sample)
    bare, bare_sample = facts.tally("phone_bare", column)
    if not bare:
        return n, sample
    whole = facts.tally("whole_digits", column)[0]
    phones = max(bare, facts.tally("digit_phone", column)[0])
    if _phone_named(facts, column) or phones >= 0.9 * whole:
        return n + bare, sample if n else str(bare_sample)
    return n, sample


def _digit_phones(facts: ExportFacts) -> list[Finding]:
    """Phone numbers written as bare digits with their country code (meta's own format, or an
    MSISDN column): the patterns need separators or a plus, so these are tested for what they
    are, valid numbers, with the library's phone rules."""
    out = _Findings(facts)
    for c in facts.columns:
        digits = facts.tally("digits", c)[0]
        if not digits or digits < 0.5 * facts.tally("total", c)[0]:
            continue  # a few digit strings among other values: ids, not a phone column
        n, sample = facts.tally("digit_valid", c)
        named = _phone_named(facts, c)
        # numeric ids can read as valid numbers of some country: by name, or nearly all (with
        # the US numbers written without their code, in a column mixing both forms)
        if n and ((named and n >= 0.5 * digits)
                  or facts.tally("digit_phone", c)[0] >= 0.9 * digits):
            out.add("plaintext", "critical" if named else "high", c, n,
                    f"{_values(n, 'are' if named else 'look like')} phone numbers in clear, "
                    f"as digits with the country code (e.g. {mask(str(sample))})",
                    "normalize and hash identifiers; drop what is not needed")
    return out


def _names(facts: ExportFacts) -> list[Finding]:
    """Headers and the file name travel with the data: identifiers in them are found too."""
    out = _Findings(facts)
    texts = [("header", h) for h in facts.columns]
    if facts.name:
        texts.append(("file name", facts.name))
    seen = pat.visible(pl.Series([text for _, text in texts], dtype=pl.Utf8)).to_list()
    for (where, _), text in zip(texts, seen, strict=True):
        for pattern, words in ((pat.EMAIL, "an email address"),
                               (pat.PHONE, "a phone number"), (pat.DATE, "a date")):
            found = re.search(pattern, text)
            if found:
                out.add("plaintext", "high", None, None,
                        f"the {where} holds {words} ({mask(found.group(0))})",
                        "rename it: file and column names travel with the data")
    return out


def check_k_anonymity(facts: ExportFacts) -> list[Finding]:
    """The classes of the quasi-identifiers (those given, or the clear columns named like one),
    counted over the whole export."""
    out = _Findings(facts)
    quasi = facts.quasi
    classes = facts.classes.classes() if quasi and facts.rows else None
    if classes is None:
        return out
    k = facts.probes.k
    smallest, under = classes.smallest, classes.under_k
    mean_risk = classes.count / facts.rows
    required = {h for h, (_, handling) in facts.kinds.items() if handling == "plain"}
    severity = "medium" if set(quasi) <= required else "high"
    shown = [facts.shown[q] for q in quasi]
    column = ",".join(shown)
    if smallest < k:
        out.append(Finding("k_anonymity", severity, column, under, under / facts.rows,
                           f"clear quasi-identifiers {shown}: k = {smallest} (smallest class), "
                           f"{rows_text(under)} in classes under k={k}; prosecutor risk max "
                           f"{1 / smallest:.2f}, mean {mean_risk:.3f}",
                           "generalize (age bands, 3-digit ZIPs) or suppress rare combinations"))
    else:
        out.append(Finding("k_anonymity", "info", column, 0, 0.0,
                           f"clear quasi-identifiers {shown}: k = {smallest} >= {k}; "
                           f"prosecutor risk max {1 / smallest:.2f}, mean {mean_risk:.3f}",
                           "none needed"))
    return out


# --- release controls ----------------------------------------------------------------------------


def check_size(facts: ExportFacts, min_audience: int | None) -> list[Finding]:
    out = _Findings(facts)
    floor = min_audience if min_audience is not None else (
        MIN_AUDIENCE.get(facts.platform, 100) if facts.platform else 100)
    # people, not rows: a row repeated three times is one person to the platform
    people = facts.counts.distinct([ROWS])[ROWS] if facts.rows else 0
    size = rows_text(facts.rows) + ("" if people == facts.rows else f" ({people:,} distinct)")
    if people < floor:
        out.add("audience_size", "high", None, people,
                f"{size} is under the minimum audience of {floor:,}"
                + (f" for {facts.platform}" if facts.platform else ""),
                "do not release lists this small: they are easy to re-identify")
    elif facts.platform in MAX_ROWS and facts.rows > MAX_ROWS[facts.platform]:
        most = MAX_ROWS[facts.platform]
        out.add("audience_size", "high", None, facts.rows,
                f"{size} is over {facts.platform}'s maximum of {most:,} rows per list: the "
                "platform refuses the file",
                f"split it into lists of at most {most:,} rows, each with its own manifest")
    elif people < 1000:
        out.add("audience_size", "low", None, people,
                f"{size}: under 1,000 people, too small as a lookalike seed",
                "use at least 1,000 people (1,000-5,000 recommended) for lookalike seeds")
    return out


def check_sensitive(facts: ExportFacts, manifest: dict[str, Any] | None) -> list[Finding]:
    out = _Findings(facts)
    texts = [("header", facts.shown[h], h) for h in facts.columns]
    if facts.name:
        texts.append(("file name", safe_name(facts.name), facts.name))
    for key in ("segment", "description", "audience", "name", "label"):
        value = (manifest or {}).get(key)
        if isinstance(value, str):
            texts.append((f"manifest {key}", key, value))
    for c in facts.clear:  # every label of the export's segment columns, as matched words
        texts.extend((f"column {facts.shown[c]}", "", w) for w in sorted(facts.labels.get(c, ())))
    for where, _, text in texts:
        found = _SENSITIVE.search(text)
        if found:
            out.add("sensitive_segment", "high", None, None,
                    f"the {where} implies health or financial status ('{found.group(0)}')",
                    "meta blocks such audiences since 2025; rename or drop the segment")
    return out


def check_anonymous(facts: ExportFacts, manifest: dict[str, Any] | None) -> list[Finding]:
    out = _Findings(facts)
    texts = []
    if facts.name:
        texts.append(("file name", facts.name))
    for key, value in (manifest or {}).items():
        if isinstance(value, str):
            texts.append((f"manifest {safe_name(key)}", value))
    for where, text in texts:
        if _ANONYMOUS.search(text) and "not anonymous" not in text.lower():
            out.add("anonymous_claim", "medium", None, None,
                    f"the {where} calls hashed data anonymous",
                    "call hashed identifiers pseudonymous: they can be re-identified")
    return out


_PART = re.compile(r"^part-[0-9]{5}(?:-[0-9a-f-]{36}(?:-c[0-9]{3})?)?\.(?:csv|parquet)$")


def _part_name(name: str) -> str:
    """A part's name as shown: Spark's and ours (part-00002.csv) plainly, anything else
    masked like any name that could be data."""
    return name if _PART.match(name) else safe_name(name)


def _check_parts(out: _Findings, manifest: dict[str, Any], parts: Sequence[Path],
                 digests: dict[str, str]) -> None:
    """A partitioned export: every part listed with its rows and digest, none missing, none
    added, and the manifest's sha256 over the list (what the signature covers)."""
    from ._spark import parts_digest

    listed = manifest.get("parts")
    if not isinstance(listed, list) or not all(
            isinstance(p, dict) and isinstance(p.get("file"), str)
            and isinstance(p.get("rows"), int) and isinstance(p.get("sha256"), str)
            for p in listed):
        out.add("manifest", "critical", None, None,
                "the export is a folder of parts, but its manifest lists no parts (file, rows, "
                "sha256)", "do not release it; write it with prepare_upload(spark_df).write()")
        return
    found = {p.name: p for p in parts}
    names = [p["file"] for p in listed]
    for name in sorted(set(found) - set(names)):
        out.add("manifest", "critical", None, None,
                f"part {_part_name(name)} is not in the manifest: something was added",
                "do not release it; re-export from the source")
    for entry in listed:
        part = found.get(entry["file"])
        shown = _part_name(entry["file"])
        if part is None:
            out.add("manifest", "critical", None, None,
                    f"part {shown} of the manifest is missing", "do not release it; re-export")
            continue
        if (digests.get(part.name) or file_sha256(part)) != entry["sha256"]:
            out.add("manifest", "critical", None, None,
                    f"part {shown}'s sha256 does not match the manifest: the part was changed",
                    "do not release it; re-export from the source")
    if manifest.get("sha256") != parts_digest(listed):
        out.add("manifest", "critical", None, None,
                "the manifest's sha256 does not cover its list of parts: the list was changed",
                "do not release it; re-export from the source")


def check_manifest(facts: ExportFacts, manifest: dict[str, Any] | None, path: Path | None,
                   public_key: Any, parts: Sequence[Path] | None = None) -> list[Finding]:
    """Provenance. With a public key, a signature check was asked for and cannot be skipped:
    no manifest, no signature, a malformed one or fields of the wrong types are critical."""
    out = _Findings(facts)
    asked = public_key is not None
    if manifest is None:
        if asked:
            out.add("manifest", "critical", None, None,
                    "no manifest, but a signature check was asked for: the file's origin "
                    "cannot be proven", "do not release it; re-export it with its manifest")
        else:
            out.add("manifest", "medium", None, None,
                    "no manifest: provenance cannot be checked",
                    "write the export with prepare_upload(...).write(), which adds one")
        return out
    problems = manifest_problems(manifest)
    if problems:
        out.add("manifest", "critical" if asked else "high", None, None,
                "the manifest is malformed: " + "; ".join(problems),
                "do not release it; re-export from the source")
        return out
    if parts is not None:
        _check_parts(out, manifest, parts, facts.digests)
    elif path is None and asked:
        out.add("manifest", "high", None, None,
                "a signature check was asked for, but a table in memory has no bytes to match "
                "the manifest's sha256: the signature proves the manifest, not this table",
                "audit the file itself (a path), which is what leaves")
    if path is not None and parts is None:
        actual = facts.digests.get(path.name) or file_sha256(path)
        if manifest.get("sha256") != actual:
            out.add("manifest", "critical", None, None,
                    "the file's sha256 does not match its manifest: the file was changed",
                    "do not release it; re-export from the source")
    rows = manifest.get("rows")
    if rows is not None and rows != facts.rows:
        out.add("manifest", "critical", None, facts.rows,
                f"the manifest says {rows:,} rows, the file has {facts.rows:,}",
                "do not release it; re-export from the source")
    if manifest.get("platform") and facts.platform and manifest["platform"] != facts.platform:
        out.add("manifest", "high", None, None,
                f"the manifest is for {safe_name(manifest['platform'])}, the audit for "
                f"{facts.platform}", "check the destination")
    if "signature" not in manifest:
        if asked:
            out.add("manifest", "critical", None, None,
                    "the manifest is not signed, but a signature check was asked for",
                    "do not release it; sign manifests with an Ed25519 key (--signing-key)")
        else:
            out.add("manifest", "low", None, None, "the manifest is not signed",
                    "sign manifests with an Ed25519 key (signing_key=)")
    elif not asked:
        out.add("manifest", "info", None, None,
                "the manifest is signed but no public key was given to check it",
                "pass public_key= (or --public-key) to verify the signature")
    else:
        try:
            verify_manifest(manifest, public_key)
        except ManifestError:
            out.add("manifest", "critical", None, None,
                    "the manifest's signature does not verify: it was changed after signing, "
                    "or signed by another key", "do not release it")
    missing = [f for f in ("platform", "normalization_version", "hash_scheme", "created_at",
                           "tool", "sha256") if not manifest.get(f)]
    if rows is None:
        missing.append("rows")
    scheme = str(manifest.get("hash_scheme") or "")
    if scheme.startswith("hmac") and not manifest.get("key_id"):
        missing.append("key_id")
    if missing:
        out.add("manifest", "critical" if asked and ("sha256" in missing or "rows" in missing)
                else "low", None, None, f"the manifest lacks {missing}",
                "record destination, rows, sha256, normalization version, hash scheme, key "
                "id, creation time and tool version")
    return out
