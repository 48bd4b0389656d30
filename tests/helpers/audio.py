"""Audio for the tests: test tones made with sox, how much of a recording is one tone
(Goertzel over 50 ms windows), RMS, and G.711 u-law encoding and decoding."""

import math
import struct
import subprocess
import wave


# ---- tones ------------------------------------------------------------------------------


def make_tone(path, freq, seconds=30, volume=0.5):
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth",
                    str(seconds), "sine", str(freq), "vol", str(volume)], check=True)


def tone_share(path, freq, window=400):
    """Fraction of loud 50 ms windows whose power at `freq` (Goertzel) is over 80% of the
    window's power; (share, loud windows)."""
    with wave.open(str(path)) as w:
        rate, n = w.getframerate(), w.getnframes()
        data = struct.unpack("<%dh" % n, w.readframes(n))
    k = 2 * math.cos(2 * math.pi * freq / rate)
    hits = loud = 0
    for start in range(0, len(data) - window, window):
        x = data[start:start + window]
        total = sum(v * v for v in x)
        if total / window < (32768 * 10 ** (-45 / 20)) ** 2:
            continue
        loud += 1
        s1 = s2 = 0.0
        for v in x:
            s0 = v + k * s1 - s2
            s2, s1 = s1, s0
        power = s1 * s1 + s2 * s2 - k * s1 * s2
        if power / (total * window / 2) > 0.8:
            hits += 1
    return (hits / loud if loud else 0.0), loud


def tone_windows(path, freq, window=400):
    """One letter per 50 ms window: T (loud, over 80% of its power at `freq`), M (loud,
    something else: music, speech), . (quiet, under -45 dBFS)."""
    with wave.open(str(path)) as w:
        rate, n = w.getframerate(), w.getnframes()
        data = struct.unpack("<%dh" % n, w.readframes(n))
    return tone_windows_samples(data, freq, window, rate)


def tone_windows_samples(data, freq, window=400, rate=8000):
    """tone_windows over 16-bit samples (part of a recording) instead of a WAV file."""
    k = 2 * math.cos(2 * math.pi * freq / rate)
    out = []
    for start in range(0, len(data) - window, window):
        x = data[start:start + window]
        total = sum(v * v for v in x)
        if total / window < (32768 * 10 ** (-45 / 20)) ** 2:
            out.append(".")
            continue
        s1 = s2 = 0.0
        for v in x:
            s0 = v + k * s1 - s2
            s2, s1 = s1, s0
        power = s1 * s1 + s2 * s2 - k * s1 * s2
        out.append("T" if power / (total * window / 2) > 0.8 else "M")
    return "".join(out)


def tone_share_samples(x, freq, window=400):
    """tone_share over 16-bit samples at 8 kHz (a channel of a recording) instead of a
    WAV file; (share, loud windows)."""
    k = 2 * math.cos(2 * math.pi * freq / 8000)
    hits = loud = 0
    for start in range(0, len(x) - window, window):
        w = x[start:start + window]
        total = sum(v * v for v in w)
        if total / window < (32768 * 10 ** (-45 / 20)) ** 2:
            continue
        loud += 1
        s1 = s2 = 0.0
        for v in w:
            s0 = v + k * s1 - s2
            s2, s1 = s1, s0
        if (s1 * s1 + s2 * s2 - k * s1 * s2) / (total * window / 2) > 0.8:
            hits += 1
    return (hits / loud if loud else 0.0), loud


def rms(x):
    return math.sqrt(sum(v * v for v in x) / len(x)) if x else 0.0


def goertzel(samples, freq, rate=8000):
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


# ---- G.711 u-law --------------------------------------------------------------------------

def ulaw_encode(sample):
    """16-bit linear -> u-law byte (G.711)."""
    BIAS, CLIP = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    if sample < 0:
        sample = -sample
    sample = min(sample, CLIP) + BIAS
    exp = 7
    mask = 0x4000
    while exp > 0 and not (sample & mask):
        exp -= 1
        mask >>= 1
    mant = (sample >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def ulaw_decode(byte):
    byte = ~byte & 0xFF
    sign, exp, mant = byte & 0x80, (byte >> 4) & 7, byte & 0x0F
    sample = (((mant << 3) + 0x84) << exp) - 0x84
    return -sample if sign else sample
