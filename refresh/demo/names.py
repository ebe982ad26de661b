"""Obviously synthetic names, postcodes and identifiers: nothing here can be a real person's.

Surnames are made-up syllables behind a ``ZZ-`` prefix; forenames are made-up syllables too; postcodes
use the outward codes ZZ1-ZZ9 (ZZ is not a UK postcode area). UPNs follow the DfE format (check letter,
LA 332, establishment, year, serial) with a correct check letter.
"""

from __future__ import annotations

import numpy as np

from model.upn import UPN_LETTERS

SURNAME_PREFIX = "ZZ-"
_SUR_HEAD = ["Quor", "Blim", "Vex", "Tharn", "Plox", "Grib", "Zun", "Wemb", "Frizz", "Klop", "Drax", "Snod",
             "Yarl", "Mubb", "Crend", "Jux", "Torv", "Hib", "Norx", "Pelf", "Squib", "Vorn", "Gulp", "Bexx"]
_SUR_TAIL = ["ington", "well", "bottle", "worth", "stock", "ley", "fold", "by", "thorpe", "ridge", "wick",
             "sprocket", "kins", "mire", "gate", "nook"]
_FORE_HEAD = ["Zax", "Quib", "Vor", "Plim", "Grix", "Fenz", "Tob", "Wix", "Jurn", "Kliv", "Brax", "Dreel",
              "Snib", "Yolt", "Mibb", "Rusk", "Quen", "Zel", "Thop", "Vimm", "Oxl", "Ulq"]
_FORE_F = ["ella", "ina", "ette", "ola", "ibel", "ara", "ixie"]
_FORE_M = ["o", "an", "ix", "us", "ard", "wick", "on"]
OUTWARD = {  # locality -> fake outward codes
    "NORTH": ("ZZ1", "ZZ2"), "SOUTH": ("ZZ3", "ZZ4"), "EAST": ("ZZ5", "ZZ6"), "WEST": ("ZZ7", "ZZ8"),
    "CENTRAL": ("ZZ9",),
}
_INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
LA_CODE = "332"


def surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    vocab = np.array([f"{SURNAME_PREFIX}{h}{t}" for h in _SUR_HEAD for t in _SUR_TAIL], dtype=object)
    return vocab[rng.integers(0, len(vocab), n)]


def forenames(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    female_vocab = np.array([h + t for h in _FORE_HEAD for t in _FORE_F], dtype=object)
    male_vocab = np.array([h + t for h in _FORE_HEAD for t in _FORE_M], dtype=object)
    n = len(male)
    return np.where(male, male_vocab[rng.integers(0, len(male_vocab), n)],
                    female_vocab[rng.integers(0, len(female_vocab), n)])


def postcodes(rng: np.random.Generator, locality: np.ndarray) -> np.ndarray:
    """'ZZn dLL' postcodes in each child's locality."""
    n = len(locality)
    outward = np.empty(n, dtype=object)
    for code, areas in OUTWARD.items():
        sel = locality == code
        outward[sel] = np.array(areas, dtype=object)[rng.integers(0, len(areas), int(sel.sum()))]
    digit = rng.integers(1, 10, n).astype(str)
    letters = _INWARD_LETTERS[rng.integers(0, len(_INWARD_LETTERS), (n, 2))]
    inward = np.char.add(np.char.add(digit, letters[:, 0]), letters[:, 1]).astype(object)
    return outward + " " + inward


def upns(rng: np.random.Generator, entry_year: np.ndarray) -> np.ndarray:
    """Unique valid UPNs: check letter + '332' + establishment (4) + year allocated (2) + serial (3)."""
    n = len(entry_year)
    unique = rng.choice(10**7, size=n, replace=False)  # establishment and serial: unique per child
    estab, serial = unique // 1000, unique % 1000
    numbers = (estab * 100 + np.asarray(entry_year) % 100) * 1000 + serial
    body = np.char.add(LA_CODE, np.char.zfill(numbers.astype(str), 9))
    digits = (numbers[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    weighted = 3 * 2 + 3 * 3 + 2 * 4 + (digits * np.arange(5, 14)).sum(axis=1)  # '3','3','2' at 2-4
    letter = np.array(list(UPN_LETTERS))[weighted % 23]
    return np.char.add(letter, body).astype(object)


def is_valid_upn(upn: str) -> bool:
    """True when ``upn`` is a permanent UPN (letter + 12 digits) with the right check letter."""
    if len(upn) != 13 or not upn[1:].isdigit() or upn[0] not in UPN_LETTERS:
        return False
    return upn[0] == UPN_LETTERS[sum(int(c) * w for c, w in zip(upn[1:], range(2, 14), strict=True)) % 23]
