"""How a column name reads: its words in plain ASCII, whatever the CRM's language.

A French CRM writes ``Téléphone`` and ``Prénom``, a German one ``Straße`` and ``E-Mail``, a
spreadsheet ``ＥＭＡＩＬ`` in full-width letters. Names are compared after case folding (``ß``
is ``ss``), compatibility decomposition (full-width letters, ligatures) and the removal of
accents, so that a header list of plain words (``telephone``, ``prenom``, ``strasse``) names
them all; punctuation and spaces separate words.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ALIAS_TO_KIND", "HEADER_ALIASES", "UNDECOMPOSED", "ascii_name", "fold_header"]


#: Latin letters that Unicode does not decompose into a base letter and a mark, as names
#: are written without them ('Łukasz' 'lukasz', 'Søren' 'soren', 'Weiß' 'weiss').
UNDECOMPOSED = {"ł": "l", "ø": "o", "ß": "ss", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i",
                "þ": "th", "ð": "d", "ħ": "h", "ŧ": "t"}
_LATIN = str.maketrans(UNDECOMPOSED)


def ascii_name(name: str) -> str:
    """``name`` case-folded, decomposed and without accents (``Fødselsdato`` is
    ``fodselsdato``); letters of other scripts are kept as they are."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_LATIN))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_header(name: str) -> str:
    """A header as lower-case ASCII words joined by ``_``: "E-Mail", "e_mail" and "EMAIL"
    are ``e_mail``, ``e_mail`` and ``email``; "Téléphone" is ``telephone``."""
    return re.sub(r"[^0-9a-z]+", "_", ascii_name(name.strip())).strip("_")


#: Header names recognized when ``columns`` is not given (compared folded, see
#: :func:`fold_header`: "E-Mail", "e_mail" and "EMAIL" are the same, and
#: "Téléphone" is "telephone"). Beside English, the words of French, German, Spanish,
#: Italian, Portuguese, Dutch and Nordic CRMs. Words that also name something else are left
#: out: "name", "nom", "nome" and "nombre" (a full name as often as a part of it), "cap"
#: (Italy's postcode, and a data cap), "estado" (a state, and a status), "region", "genre"
#: (a gender in French, and a video's genre), "portable" and "gsm" (a telco's own columns).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e_mail", "mail", "email_address", "emailaddress", "e_mail_address",
              "em",
              "courriel", "adresse_email", "adresse_mail", "adresse_e_mail",
              "e_mail_adresse", "emailadresse", "mailadresse", "correo", "correo_electronico",
              "email_adres", "e_mailadres", "emailadres", "indirizzo_email", "posta_elettronica",
              "endereco_de_email", "endereco_email", "e_post", "epost", "sahkoposti"),
    "phone": ("phone", "mobile", "msisdn", "phone_number", "phonenumber", "cell", "cellphone",
              "cell_phone", "mobile_phone", "mobile_number", "mobile_phone_number", "phone_no",
              "mobile_no", "tel", "telephone", "ph",
              "numero_de_telephone", "telephone_portable", "tel_portable",
              "telefon", "telefonnummer", "handy", "handynummer", "mobil", "mobilnummer",
              "mobiltelefon", "telefono", "numero_de_telefono", "telefono_movil", "movil",
              "celular", "cellulare", "numero_di_telefono", "telefone", "telemovel",
              "telefoon", "telefoonnummer", "mobiel", "mobiel_nummer", "mobielnummer", "natel",
              "puhelin", "matkapuhelin"),
    "first_name": ("first_name", "firstname", "fname", "given_name", "givenname", "forename",
                   "fn",
                   "prenom", "vorname", "voornaam", "primeiro_nome", "fornavn", "fornamn",
                   "etunimi"),
    "last_name": ("last_name", "lastname", "lname", "surname", "family_name", "familyname", "ln",
                  "nom_de_famille", "nachname", "familienname", "achternaam", "apellido",
                  "apellidos", "cognome", "sobrenome", "apelido", "efternavn", "etternavn",
                  "efternamn", "sukunimi"),
    "city": ("city", "town", "ct",
             "ville", "stadt", "ort", "wohnort", "ciudad", "localidad", "citta", "cidade",
             "plaats", "woonplaats", "stad", "kaupunki"),
    # Salesforce's "State/Province" and "Zip/Postal Code", HubSpot's "State/Region" and
    # "Country/Region"
    "state": ("state", "province", "state_code", "state_province", "state_or_province",
              "state_region", "st",
              "bundesland", "provincia", "provincie"),
    "zip": ("zip", "zipcode", "zip_code", "postcode", "post_code", "postal_code", "postalcode",
            "zip_postal_code",
            "code_postal", "codepostal", "plz", "postleitzahl", "codigo_postal", "cep",
            "codice_postale", "postnummer", "postinumero"),
    "country": ("country", "country_code", "countrycode", "country_region",
                "pays", "land", "pais", "paese", "nazione"),
    "gender": ("gender", "sex", "gen",
               "sexe", "geschlecht", "sexo", "genero", "sesso", "geslacht", "kjonn",
               "sukupuoli"),
    "dob": ("dob", "birthdate", "birth_date", "date_of_birth", "dateofbirth", "birthday",
            "date_de_naissance", "date_naissance", "geburtsdatum", "geburtstag",
            "fecha_de_nacimiento", "fecha_nacimiento", "data_di_nascita", "data_nascita",
            "data_de_nascimento", "data_nascimento", "geboortedatum", "fodselsdato",
            "fodelsedatum", "syntymaaika"),
    "maid": ("maid", "madid", "idfa", "gaid", "aaid", "mobile_ad_id", "advertising_id"),
    "external_id": ("external_id", "extern_id", "customer_id", "crm_id", "subscriber_id",
                    "account_id"),
}
ALIAS_TO_KIND = {alias: kind for kind, aliases in HEADER_ALIASES.items() for alias in aliases}
