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


# ---- speech-like greetings (answering-machine detection) ---------------------------------
# The same shapes as mediad/md_amd_fixture.c: voiced syllables (harmonics of a pitch under a
# rise-and-fall envelope) with short gaps, and longer pauses between groups of syllables.

def syllable(rng, ms, level_db):
    """One voiced syllable of ms milliseconds at about level_db dBFS (16-bit samples)."""
    f0, formant = rng.uniform(95, 230), rng.uniform(400, 1100)
    glide = rng.uniform(-0.25, 0.25)
    weights = []
    h = 1
    while h <= 16 and h * f0 < 3400:
        d = (h * f0 - formant) / 600.0
        weights.append(math.exp(-d * d) + 0.15 / h)
        h += 1
    norm = math.sqrt(sum(w * w / 2 for w in weights))
    amp = 32768.0 * 10 ** (level_db / 20.0) / norm
    n = ms * 8
    out, phase = [], 0.0
    for i in range(n):
        t = i / n
        env = math.sin(math.pi * t) ** 0.6
        phase += 2 * math.pi * f0 * (1 + glide * t) / 8000.0
        v = sum(w * math.sin((k + 1) * phase) for k, w in enumerate(weights))
        out.append(max(-32768, min(32767, int(amp * env * v))))
    return out


def speech(rng, ms, level_db=-16, pause=(150, 350)):
    """About ms of speech: syllables of 120-260 ms 20-90 ms apart, a pause in `pause` after
    every 2-4 syllables."""
    out = []
    until_pause = rng.randint(2, 4)
    while len(out) < ms * 8:
        out += syllable(rng, int(rng.uniform(120, 260)), level_db + rng.uniform(-6, 0))
        until_pause -= 1
        if until_pause == 0:
            out += [0] * (int(rng.uniform(*pause)) * 8)
            until_pause = rng.randint(2, 4)
        else:
            out += [0] * (int(rng.uniform(20, 90)) * 8)
    return out


def human_greeting(rng, lead_ms=400, after_ms=3000):
    """A person answering: silence, "Hel-lo?" (about half a second), then waiting."""
    return ([0] * (lead_ms * 8) + syllable(rng, 200, -18) + [0] * 320 +
            syllable(rng, 260, -20) + [0] * (after_ms * 8))


def machine_greeting(rng, lead_ms=300, speech_ms=7000, after_ms=1000):
    """An answering machine: a few seconds of continuous speech with short pauses."""
    return [0] * (lead_ms * 8) + speech(rng, speech_ms) + [0] * (after_ms * 8)


def write_ulaw(path, samples):
    """Raw G.711 u-law, as sipp's rtp_stream sends it."""
    with open(path, "wb") as f:
        f.write(bytes(ulaw_encode(s) for s in samples))
