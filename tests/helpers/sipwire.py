"""What really went over the loopback wire: SIP datagrams to and from one UDP port,
captured with a raw AF_PACKET socket on `lo` (the tests run as root), so a test can
assert on headers as a softphone received them rather than on what a daemon says it sent.

    with SipWire(s.sip_port) as wire:
        ...                      # make the call
    invite = wire.wait(lambda m: m.startswith("INVITE ") and "X-CC-Caller: 2001" in m)
"""

import socket
import struct
import threading
import time

ETH_P_ALL = 0x0003
ETH_HEADER = 14        # lo frames carry an all-zero Ethernet header
IPPROTO_UDP = 17


class SipWire:
    def __init__(self, port, iface="lo"):
        self.port = port
        self.messages = []          # decoded SIP texts, in capture order
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._sock.bind((iface, 0))
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, name="sipwire", daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                frame, addr = self._sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            # each loopback datagram shows up twice (outgoing and incoming): keep one
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            text = self._udp_payload(frame)
            if text is not None:
                with self._lock:
                    self.messages.append(text)

    def _udp_payload(self, frame):
        ip = frame[ETH_HEADER:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != IPPROTO_UDP:
            return None
        ihl = (ip[0] & 0x0F) * 4
        sport, dport, length = struct.unpack("!HHH", ip[ihl:ihl + 6])
        if self.port not in (sport, dport):
            return None
        return ip[ihl + 8:ihl + length].decode("utf-8", "replace")

    def wait(self, match, timeout=10.0):
        """The first captured message for which match(text) is true, or AssertionError."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for m in self.messages:
                    if match(m):
                        return m
            if time.monotonic() > deadline:
                with self._lock:
                    firsts = [m.split("\r\n", 1)[0] for m in self.messages]
                raise AssertionError("no matching SIP message on port %d; saw: %s"
                                     % (self.port, firsts[-30:]))
            time.sleep(0.05)

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def header(msg, name):
    """The value of the first header `name` (case-insensitive) in a SIP message, or None."""
    head = msg.split("\r\n\r\n", 1)[0]
    for line in head.split("\r\n")[1:]:
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == name.lower():
            return value.strip()
    return None
