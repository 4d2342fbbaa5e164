"""Refuse direct identifiers: names, NI numbers, emails, phone numbers, birth dates, postcodes.

Inputs must be pseudonymised. A column whose name or contents look like a direct identifier stops
the run before anything is computed; identifier-shaped text inside free-text columns is flagged
and redacted so that it can never reach an output.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from evaluation.errors import Finding

# Column names (after header normalisation) that are direct identifiers whatever they hold.
IDENTIFIER_NAMES: dict[str, str] = {
    **{
        n: "a person's name"
        for n in (
            "name",
            "full_name",
            "first_name",
            "firstname",
            "forename",
            "forenames",
            "given_name",
            "surname",
            "last_name",
            "lastname",
            "family_name",
            "participant_name",
            "client_name",
            "customer_name",
        )
    },
    **{
        n: "a National Insurance number"
        for n in (
            "nino",
            "ni_number",
            "ni_no",
            "national_insurance_number",
            "national_insurance_no",
            "nino_number",
        )
    },
    **{n: "an email address" for n in ("email", "email_address", "e_mail", "e_mail_address")},
    **{
        n: "a phone number"
        for n in (
            "phone",
            "phone_number",
            "telephone",
            "telephone_number",
            "tel",
            "mobile",
            "mobile_number",
            "contact_number",
        )
    },
    **{n: "a date of birth" for n in ("dob", "date_of_birth", "birth_date", "birthdate", "d_o_b")},
    **{
        n: "a full postcode"
        for n in ("postcode", "post_code", "postal_code", "home_postcode", "full_postcode")
    },
}

# Shapes of identifier values. Postcode: the Royal Mail format with its inward code.
VALUE_SHAPES: dict[str, tuple[str, re.Pattern[str]]] = {
    "nino": (
        "a National Insurance number",
        re.compile(
            r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
            re.I,
        ),
    ),
    "email": ("an email address", re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b")),
    "phone": ("a phone number", re.compile(r"(?<![\w/])(?:\+44\s?|0)(?:\d\s?){9,10}\b")),
    "postcode": (
        "a full postcode",
        re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b", re.I),
    ),
}

# Share of a column's values that must look like identifiers for the column to be refused.
COLUMN_SHARE = 0.5
# A column's values are judged on its first cells that hold a value, up to this many.
IDENTIFIER_SAMPLE = 2000


def identifier_columns(
    file: str, header: list[str], samples: list[list[str]], *, free_text: set[str]
) -> list[Finding]:
    """File-level findings for every column that is, or holds, a direct identifier.

    ``samples`` holds, for each column of ``header``, its first ``IDENTIFIER_SAMPLE`` cells that
    hold a value, in row order.
    """
    from evaluation.data.readers import normalise_header

    findings: list[Finding] = []
    for raw_name, values in zip(header, samples, strict=True):
        key = normalise_header(raw_name)
        if key in IDENTIFIER_NAMES:
            findings.append(
                Finding(
                    file=file,
                    column=raw_name,
                    rule="direct_identifier",
                    message=f"the column looks like {IDENTIFIER_NAMES[key]} (a direct identifier)",
                    fix="remove the column and pseudonymise the file before running the toolkit",
                    severity="file",
                )
            )
            continue
        if key in free_text:
            continue
        if not values:
            continue
        sample = Counter(v.strip() for v in values[:IDENTIFIER_SAMPLE])  # each distinct value tried once
        for what, pattern in VALUE_SHAPES.values():
            share = sum(n for v, n in sample.items() if pattern.fullmatch(v)) / sum(sample.values())
            if share >= COLUMN_SHARE:
                findings.append(
                    Finding(
                        file=file,
                        column=raw_name,
                        rule="direct_identifier",
                        message=f"{share:.0%} of the column's values look like {what} (a direct identifier)",
                        fix="remove the column and pseudonymise the file before running the toolkit",
                        severity="file",
                    )
                )
                break
    return findings


def redact_free_text(file: str, column: str, values: pd.Series) -> tuple[pd.Series, list[Finding]]:
    """Replace identifier-shaped text in a free-text column (indexed by line); warn per cell.

    Each distinct text is redacted once; every cell holding identifier-shaped text is warned of.
    """
    findings: list[Finding] = []
    out = values.copy()
    codes, texts = pd.factorize(values, use_na_sentinel=True)
    redacted: list[str | None] = []
    kinds_of: list[list[str]] = []
    for text in texts:
        changed = str(text)
        kinds: list[str] = []
        for label, (what, pattern) in VALUE_SHAPES.items():
            changed, n = pattern.subn(f"[redacted {label}]", changed)
            if n:
                kinds.append(what)
        redacted.append(changed if kinds else None)
        kinds_of.append(kinds)
    flagged = np.array([bool(k) for k in kinds_of] + [False])
    rows = np.flatnonzero(flagged[codes])
    if len(rows):
        out.iloc[rows] = [redacted[c] for c in codes[rows]]
    for row in rows:
        findings.append(
            Finding(
                file=file,
                line=int(values.index[row]),
                column=column,
                rule="identifier_in_free_text",
                message="free text holds " + " and ".join(kinds_of[codes[row]]) + "; it has been redacted",
                value="[redacted]",
                fix="do not record personal details in notes",
                severity="warning",
            )
        )
    return out, findings


def redact_identifiers(text: str | None) -> str | None:
    """Text with anything shaped like a direct identifier replaced by ``[redacted <kind>]``."""
    if text is None or not isinstance(text, str):
        return text
    for label, (_, pattern) in VALUE_SHAPES.items():
        text = pattern.sub(f"[redacted {label}]", text)
    return text
