"""A stand-in for sipproxy on the bus, for cdrd's tests and benchmarks: it binds
sipproxy's PUB and ROUTER sockets in a suite's run dir, publishes call events in
sipproxy's envelope (common/cc_bus.h) with the ts the caller chooses, and answers
bus.replay and ping from its own ring, as common/cc_bus.c does. Events are encoded once,
so publishing is a send per event."""

import json
import threading
import time
from datetime import datetime, timezone

import zmq

REPLAY_PAGE = 1000


def iso_ts(us):
    """Envelope ts of a time given in microseconds since the epoch."""
    dt = datetime.fromtimestamp(us // 1_000_000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1_000_000)


def call_events(call_id, start_us, talk_ms=30_000, ring_ms=4_000, caller="5551000",
                callee="600", answered_by="2001"):
    """(type, ts_us, fields) of one answered call as sipproxy publishes it: created,
    ringing, answered, ended with both legs' media figures."""
    media = {"packets_in": 1500, "bytes_in": 258000, "packets_out": 1500,
             "bytes_out": 258000, "lost": 2, "out_of_order": 0, "jitter_ms": 1.5,
             "max_gap_ms": 40}
    ans = start_us + ring_ms * 1000
    return [
        ("call.created", start_us, {"caller": caller, "callee": callee,
                                    "direction": "inbound", "source": "127.0.0.1:5060",
                                    "trunk": "carrier", "route_kind": "queue",
                                    "route_target": "support"}),
        ("call.ringing", start_us + 500_000, {"code": 180}),
        ("call.answered", ans, {"answered_by": answered_by}),
        ("call.ended", ans + talk_ms * 1000,
         {"disposition": "answered", "hangup_side": "caller", "sip_code": 200,
          "reason": "caller hung up", "media": {"caller": media, "callee": media}}),
    ]


class FakePublisher:
    def __init__(self, run_dir, name="sipproxy", epoch=None):
        self.name = name
        self.epoch = epoch or int(time.time() * 1_000_000)
        self.ring = []  # encoded event bodies, seq = index + 1
        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.SNDHWM, 100000)
        self.pub.bind("ipc://%s/%s.pub" % (run_dir, name))
        self.router = self.ctx.socket(zmq.ROUTER)
        self.router.bind("ipc://%s/%s.cmd" % (run_dir, name))
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def encode(self, etype, ts_us, call_id, fields):
        """The wire body of the next event (not yet published)."""
        seq = len(self.ring) + 1
        body = {"type": etype, "id": {"pub": self.name, "epoch": self.epoch, "seq": seq},
                "ts": iso_ts(ts_us), "call_id": call_id}
        body.update(fields)
        data = json.dumps(body, separators=(",", ":")).encode()
        self.ring.append(data)
        return etype.encode(), data

    def publish(self, etype, ts_us, call_id, fields):
        with self.lock:
            frames = self.encode(etype, ts_us, call_id, fields)
        self.pub.send_multipart(frames)
        return len(self.ring)

    def send_encoded(self, frames):
        """Publish what encode() made (the ring already holds it)."""
        self.pub.send_multipart(frames)

    @property
    def last_seq(self):
        return len(self.ring)

    def _reply(self, envelope, req, result):
        body = {"req": req, "ok": True, "result": result}
        self.router.send_multipart(envelope + [json.dumps(body).encode()])

    def _replay(self, envelope, req, args):
        last = len(self.ring)
        after = args.get("after_seq", 0) if args.get("epoch") == self.epoch else 0
        start = after + 1 if after > 0 else 1
        count = max(0, min(REPLAY_PAGE, last - start + 1))
        more = start + count <= last
        head = ('{"req":%s,"ok":true,"result":{"epoch":%d,"first_seq":1,"last_seq":%d,'
                '"more":%s,"events":[' % (json.dumps(req), self.epoch, last,
                                          "true" if more else "false")).encode()
        events = b",".join(self.ring[start - 1:start - 1 + count])
        self.router.send_multipart(envelope + [head + events + b"]}}"])

    def _serve(self):
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        while not self.stopping:
            if not poller.poll(100):
                continue
            frames = self.router.recv_multipart()
            envelope, data = frames[:-1], frames[-1]
            try:
                msg = json.loads(data)
            except ValueError:
                continue
            if msg.get("type") == "bus.replay":
                self._replay(envelope, msg.get("req"), msg.get("args") or {})
            elif msg.get("type") == "ping":
                self._reply(envelope, msg.get("req"),
                            {"pong": True, "daemon": self.name, "epoch": self.epoch})

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.pub.close(0)
        self.router.close(0)
        self.ctx.term()
