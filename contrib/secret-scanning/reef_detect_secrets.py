"""detect-secrets plugin for Reef API tokens.

A Reef token is `reef_` + 43 base62 characters (32 random bytes) + a 6-character base62
CRC32 (IEEE, as zlib computes it) of those 43 characters. This plugin reports only tokens
whose checksum matches, so a mistyped or made-up `reef_...` string is not flagged.

    detect-secrets scan --plugin contrib/secret-scanning/reef_detect_secrets.py
"""

import re
import zlib

from detect_secrets.plugins.base import RegexBasedDetector

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TOKEN = re.compile(r"(?<![0-9A-Za-z_])(reef_[0-9A-Za-z]{49})(?![0-9A-Za-z])")


def base62(number, width):
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    return digits.rjust(width, "0")


def is_reef_token(candidate):
    """True for `reef_` + 43 base62 characters + their 6-character base62 CRC32."""
    if not TOKEN.fullmatch(candidate):
        return False
    random, check = candidate[5:48], candidate[48:]
    return base62(zlib.crc32(random.encode("ascii")), 6) == check


class ReefTokenDetector(RegexBasedDetector):
    """Scans for Reef API tokens (with a valid checksum)."""

    secret_type = "Reef API token"
    denylist = [TOKEN]

    def analyze_string(self, string):
        for match in super().analyze_string(string):
            if is_reef_token(match):
                yield match
