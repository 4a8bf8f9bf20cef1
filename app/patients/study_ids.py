"""Random study ids: not derivable from anything about the patient (governance §6)."""

import secrets

# Crockford's base32 alphabet: no I, L, O or U, so ids survive being read aloud or copied by hand.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_study_id() -> str:
    return "P-" + "".join(secrets.choice(ALPHABET) for _ in range(8))
