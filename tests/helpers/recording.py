"""recorderd's output for the tests: the finished index row of a call's recording (through
`ccctl recording list`) and the two channels (caller, callee) of its stereo WAV."""

import json
import struct
import time
import wave

import pytest


def recording(s, cid, timeout=8):
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = json.loads(s.ccctl("recording", "list", "--json", check=True).stdout)
        for r in rows:
            if r["call_id"] == cid and r["finished"]:
                return r
        time.sleep(0.2)
    pytest.fail("no finished recording of %s; recorderd log:\n%s" % (cid, s.log_tail("recorderd", 40)))


def channels(path):
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 2 and w.getframerate() == 8000 and w.getsampwidth() == 2
        n = w.getnframes()
        data = struct.unpack("<%dh" % (2 * n), w.readframes(n))
    return list(data[0::2]), list(data[1::2])
