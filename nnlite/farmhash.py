"""FarmHash's 64-bit fingerprint (farmhashna Hash64), the hash Keras's Hashing layer puts strings through
(TensorFlow's ``to_hash_bucket_fast``: bucket = Fingerprint64(utf-8 bytes) mod num_bins).

Arithmetic is on unsigned 64-bit words, little-endian loads; every product and sum wraps mod 2^64.
Strings of up to 16, 17-32, 33-64 bytes have their own mixing; longer ones run 64-byte rounds of
two 256-bit states (v, w) and a few 64-bit words (x, y, z).
"""

from __future__ import annotations

MASK = (1 << 64) - 1
K0, K1, K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F


def _u64(s: bytes, i: int) -> int:
    return int.from_bytes(s[i:i + 8], "little")


def _u32(s: bytes, i: int) -> int:
    return int.from_bytes(s[i:i + 4], "little")


def _rotate(value: int, shift: int) -> int:
    """Rotate right by ``shift`` bits."""
    return value if shift == 0 else ((value >> shift) | (value << (64 - shift))) & MASK


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _hash16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & MASK
    b ^= b >> 47
    return (b * mul) & MASK


def _up_to_16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = K2 + n * 2
        a = (_u64(s, 0) + K2) & MASK
        b = _u64(s, n - 8)
        c = (_rotate(b, 37) * mul + a) & MASK
        d = ((_rotate(a, 25) + b) * mul) & MASK
        return _hash16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        return _hash16((n + (_u32(s, 0) << 3)) & MASK, _u32(s, n - 4), mul)
    if n > 0:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * K2) ^ (z * K0)) & MASK) * K2) & MASK
    return K2


def _up_to_32(s: bytes) -> int:
    n = len(s)
    mul = K2 + n * 2
    a = (_u64(s, 0) * K1) & MASK
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & MASK
    d = (_u64(s, n - 16) * K2) & MASK
    return _hash16((_rotate((a + b) & MASK, 43) + _rotate(c, 30) + d) & MASK,
                   (a + _rotate((b + K2) & MASK, 18) + c) & MASK, mul)


def _up_to_64(s: bytes) -> int:
    n = len(s)
    mul = K2 + n * 2
    a = (_u64(s, 0) * K2) & MASK
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & MASK
    d = (_u64(s, n - 16) * K2) & MASK
    y = (_rotate((a + b) & MASK, 43) + _rotate(c, 30) + d) & MASK
    z = _hash16(y, (a + _rotate((b + K2) & MASK, 18) + c) & MASK, mul)
    e = (_u64(s, 16) * mul) & MASK
    f = _u64(s, 24)
    g = ((y + _u64(s, n - 32)) * mul) & MASK
    h = ((z + _u64(s, n - 24)) * mul) & MASK
    return _hash16((_rotate((e + f) & MASK, 43) + _rotate(g, 30) + h) & MASK,
                   (e + _rotate((f + a) & MASK, 18) + g) & MASK, mul)


def _weak32(s: bytes, i: int, a: int, b: int) -> tuple[int, int]:
    """Mix the four words at i into the seeds (a, b)."""
    w, x, y, z = _u64(s, i), _u64(s, i + 8), _u64(s, i + 16), _u64(s, i + 24)
    a = (a + w) & MASK
    b = _rotate((b + a + z) & MASK, 21)
    c = a
    a = (a + x + y) & MASK
    b = (b + _rotate(a, 44)) & MASK
    return (a + z) & MASK, (b + c) & MASK


def fingerprint64(data: bytes) -> int:
    """The 64-bit fingerprint of ``data``."""
    n = len(data)
    if n <= 16:
        return _up_to_16(data)
    if n <= 32:
        return _up_to_32(data)
    if n <= 64:
        return _up_to_64(data)
    seed = 81
    x = seed
    y = (seed * K1 + 113) & MASK
    z = (_shift_mix((y * K2 + 113) & MASK) * K2) & MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * K2 + _u64(data, 0)) & MASK
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rotate((x + y + v[0] + _u64(data, i + 8)) & MASK, 37) * K1) & MASK
        y = (_rotate((y + v[1] + _u64(data, i + 48)) & MASK, 42) * K1) & MASK
        x ^= w[1]
        y = (y + v[0] + _u64(data, i + 40)) & MASK
        z = (_rotate((z + w[0]) & MASK, 33) * K1) & MASK
        v = _weak32(data, i, (v[1] * K1) & MASK, (x + w[0]) & MASK)
        w = _weak32(data, i + 32, (z + w[1]) & MASK, (y + _u64(data, i + 16)) & MASK)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = K1 + ((z & 0xFF) << 1)
    i = last64
    w = ((w[0] + ((n - 1) & 63)) & MASK, w[1])
    v = ((v[0] + w[0]) & MASK, v[1])
    w = ((w[0] + v[0]) & MASK, w[1])
    x = (_rotate((x + y + v[0] + _u64(data, i + 8)) & MASK, 37) * mul) & MASK
    y = (_rotate((y + v[1] + _u64(data, i + 48)) & MASK, 42) * mul) & MASK
    x ^= (w[1] * 9) & MASK
    y = (y + v[0] * 9 + _u64(data, i + 40)) & MASK
    z = (_rotate((z + w[0]) & MASK, 33) * mul) & MASK
    v = _weak32(data, i, (v[1] * mul) & MASK, (x + w[0]) & MASK)
    w = _weak32(data, i + 32, (z + w[1]) & MASK, (y + _u64(data, i + 16)) & MASK)
    z, x = x, z
    return _hash16((_hash16(v[0], w[0], mul) + _shift_mix(y) * K0 + z) & MASK,
                   (_hash16(v[1], w[1], mul) + x) & MASK, mul)
