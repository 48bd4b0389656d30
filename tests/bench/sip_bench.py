#!/usr/bin/python3
"""sip_bench.py - sipproxy under load and overload, beside Kamailio (+rtpengine), in one run.

The suite: sipproxy + mediad + cdrd from CC_BIN_DIR with a private Postgres (tests/suite.py).
Calls: sipp UAC on 127.0.0.1:UAC_PORT (trunk bench_in, so no digest) -> sipproxy -> route 9.
-> trunk bench_out -> sipp UAS on UAS_PORT; media anchored in mediad (no RTP is sent), a CDR
per call written by cdrd. The anchor: Kamailio + rtpengine userspace (run_kamailio_anchor.sh,
port 5061 with media, 5060 for REGISTER), state in a private ANCHOR_RUN_DIR. Both are driven
by the shared anchor scripts and scenarios in CC_BENCH_ANCHORS (never copied here).

Measurements (--only takes a comma list; default all), suite and anchor alternating which
goes first from round to round:

  cps      sip_cps.sh's ramp (highest rate with <0.1% failed calls, 0 s calls). CPU per call
           per process group at the best step, from a sampler of /proc (sipproxy, mediad,
           cdrd, postgres = the private cluster's postmaster and all its children;
           kamailio = main process and children, rtpengine), priced over the step's own
           time window from sipp's stat.csv.
  goodput  fixed-rate sipp runs of --goodput-s seconds at --levels x that target's capacity
           (the median of its cps so far in this run, this round's included;
           --capacity SUITE,ANCHOR when cps is not run):
           sent/s, goodput (calls completed successfully within the offered seconds, /s),
           ok and failed after the drain, failure kinds and unexpected response codes,
           the UAS's own ok/failed counts, and what each sipp logged (uac_events,
           uas_events: calls aborted on an unexpected BYE, messages of calls already
           over, BYEs carrying a Reason such as sipproxy's 408 "ACK Timeout").
  reg      REGISTER with digest: the anchor's lib.sh ramp against the suite (users
           70000.., generated script as before) and sip_reg.sh against Kamailio (5060).
  rss      fresh processes, a warm-up of --rss-warmup calls at --rss-warmup-rate (both
           targets; 17,000 by default, enough for 4 events a call to fill sipproxy's bus
           replay ring of bus_replay_depth 65,536 events, a bounded cache that would
           otherwise still be filling in round 10), then --rss-rounds rounds of
           --rss-calls calls at --rss-rate; RSS after each round (Kamailio: PSS summed over
           its processes, as its shared memory is mapped by all of them); growth per round
           after round 2.
  mem      fresh processes, --held calls set up at --held-rate that stay up --hold-s (the
           anchors' uac_call.xml with sipp -d); memory before, while held (after the
           transaction linger has passed) and after; per held call = (held - before) / N.
  Every suite run is followed by a CDR check once calls have drained (no call left in
  sipproxy's status and the cdrs count still): sipp's TotalCallCreated, call.created
  events seen on sipproxy's bus (a SUB kept for the whole run; their sip_call_id gives
  the duplicate SIP Call-IDs: one SIP call that became two calls), sipproxy's
  calls_total delta, rows added to cdrs, how many say answered and the commonest other
  disposition/reason. The bus is read rather than sipproxy's `event=call.created` log
  lines so the daemons can run at log_level warn and the CPU figures carry no logging.
  At the end the daemons' warn/error log lines are counted by event (`log ...` lines).

    tests/bench/sip_bench.py [--rounds 3] [--only cps,goodput,reg,rss,mem] [--budget 45]
                             [--max-minutes 25] [--levels 0.5,1,1.5,2,3] [--goodput-s 7]
                             [--rss-rounds 10 --rss-calls 1600 --rss-rate 320]
                             [--rss-warmup 17000 --rss-warmup-rate 800]
                             [--held 1000 --held-rate 200 --hold-s 20] [--capacity S,A]
The default run (3 rounds of cps, goodput and reg, then rss and mem once) takes about 23
minutes; a measurement whose next round would not end within --max-minutes is skipped and
said so. cps and reg start each ramp at 0.6x the median found so far; a target's first
ramp starts from a fixed guess and gets 1.5x --budget.
Output: the earlier lines `calls_per_s suite=.. kamailio+rtpengine=.. ratio=..` and
`registers_per_s suite=.. kamailio=.. ratio=..` (medians), then `cpu_us_per_call`,
`cpu_us_per_register`, a goodput table and `goodput target=..` lines, `rss_kb`,
`rss_growth_kb_per_round`, `mem_per_call_bytes`, `cdr_check` lines and `cdr_summary`.
Exit 1 with `# FAILED: reason` lines when a measurement asked for produced no figure.

Ports: SIP UAS_PORT=5062 UAC_PORT=5063 REG_PORT=5064 and sipp media ports from 5800-5999,
all below the kernel's ephemeral range (32768-60999 here) and checked free at start.
The suite's RTP range SUITE_RTP_PORTS defaults to 10000-29999, BELOW the ephemeral range:
10000 pairs. A call takes two endpoints (a pair each); at 2000 calls/s of 0 s calls with
mediad's 2 s port quarantine about 2000*2*2 = 8000 pairs sit in quarantine, so the range
must hold well over 8000 pairs; 61000-65499 above the ephemeral range holds only 2250
(about 560 calls/s) and would be the bottleneck. It stops below rtpengine's 30000-35999.
SUITE_CONFIG adds suite config for experiments, e.g. SUITE_CONFIG="common.bus_replay_depth=4096"
(how much of sipproxy's RSS is the bus replay ring).
It overlaps the harness's random ports (10000-31999) and mediad_relay.py's defaults
(12000-21999): mediad skips ports other processes hold, but a block of 64 held pairs makes
it refuse endpoints; a suite run where that happened is reported (`# FAILED: ... held by
other processes`, exit 1) as its figures are then the machine's, not the suite's.
The open-file limit is raised towards the systemd units' LimitNOFILE=65536 (as far as the
hard limit allows: mediad needs 3 descriptors per endpoint).
Env: CC_BIN_DIR (default bin/, the release build), CC_BENCH_ANCHORS (default
shared/bench-anchors beside the repo or beside one of its parents, for worktrees),
SUITE_RTP_PORTS, UAS_PORT, UAC_PORT, REG_PORT, REG_USERS (1000), CC_BENCH_KEEP=1 keeps
the work directory. Every process started here is stopped by its PID (sip_cps.sh and
sip_reg.sh by their own process group) even on errors.
"""

import argparse
import concurrent.futures
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
os.environ.setdefault("CC_BIN_DIR", str(REPO / "bin"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import suite as sm  # noqa: E402
import sip_load_lib as ll  # noqa: E402
from sip_load_lib import fmt, med, say  # noqa: E402

ANCHORS = ll.anchors_dir(REPO)
UAS_PORT = int(os.environ.get("UAS_PORT", "5062"))
UAC_PORT = int(os.environ.get("UAC_PORT", "5063"))
REG_PORT = int(os.environ.get("REG_PORT", "5064"))
REG_USERS = int(os.environ.get("REG_USERS", "1000"))
REG_PASS = "benchpw1"
SUITE_RTP_PORTS = os.environ.get("SUITE_RTP_PORTS", "10000-29999")
# more config for the suite, for experiments: SUITE_CONFIG="common.bus_replay_depth=4096 ..."
SUITE_CONFIG = dict(kv.split("=", 1) for kv in os.environ.get("SUITE_CONFIG", "").split())
DIAL = "9000"
KAM_MEDIA_PORT, KAM_PORT = 5061, 5060
MEASURES = ("cps", "goodput", "reg", "rss", "mem")
SUITE_GROUPS = ("sipproxy", "mediad", "cdrd", "postgres")
ANCHOR_GROUPS = ("kamailio", "rtpengine")
LABEL = {"suite": "suite", "anchor": "kamailio+rtpengine"}
# sipproxy keeps finished transactions this long ([sipproxy] transaction_linger default)
LINGER_S = 8.0


class Failed(Exception):
    pass


class Bench:
    def __init__(self, a):
        self.a = a
        self.t0 = time.time()
        self.deadline = self.t0 + a.max_minutes * 60
        self.work = Path(tempfile.mkdtemp(prefix="sip_bench-"))
        self.anchor_run = self.work / "anchor"
        self.anchor_run.mkdir()
        self.cluster = self.suite = self.sampler = self.watcher = self.db = None
        self.kam_pid = self.rtpe_pid = None
        self.anchor_ok = self.anchor_started = False
        self.failures = []
        self.cdr = []  # dicts of every CDR check
        self.durations = {}  # measure -> [seconds per target run]
        self.r = {k: {"suite": [], "anchor": []} for k in ("cps", "reg")}
        self.cpu = {k: {"suite": [], "anchor": []} for k in ("cps", "reg")}
        self.gp = {"suite": [], "anchor": []}  # per round: {x: row}
        self.rss = {}
        self.mem = {}
        self.uas_mp = ll.low_free_port(4)
        self.uac_mp = ll.low_free_port(4, avoid=range(self.uas_mp, self.uas_mp + 4))

    # ---- set-up and tear-down ------------------------------------------------------------

    def kenv(self, **extra):
        return dict(os.environ, UAS_PORT=str(UAS_PORT), UAC_PORT=str(UAC_PORT),
                    REG_PORT=str(REG_PORT), REG_USERS=str(REG_USERS),
                    ANCHOR_RUN_DIR=str(self.anchor_run), **{k: str(v) for k, v in extra.items()})

    def setup(self, measures):
        lo, hi = (int(x) for x in SUITE_RTP_PORTS.split("-"))
        if ll.overlaps_ephemeral(lo, hi):
            raise Failed("SUITE_RTP_PORTS=%s overlaps the ephemeral range %d-%d"
                         % ((SUITE_RTP_PORTS,) + ll.ephemeral_range()))
        ll.check_ports_free([UAS_PORT, UAC_PORT, REG_PORT, KAM_PORT, KAM_MEDIA_PORT])
        self.raise_nofile()
        if not (ANCHORS / "sip_cps.sh").exists():
            raise Failed("no anchor scripts in %s (set CC_BENCH_ANCHORS)" % ANCHORS)
        self.cluster = sm.PgCluster().start()
        s = self.suite = sm.Suite(self.cluster, name="sip_bench",
                                  daemons=["sipproxy", "mediad", "cdrd"],
                                  config=dict({"common.log_level": "warn",
                                               "common.rtp_ports": SUITE_RTP_PORTS},
                                              **SUITE_CONFIG))
        s.ccctl("trunk", "add", "bench_in", "--host", "127.0.0.1:%d" % UAC_PORT, check=True)
        s.ccctl("trunk", "add", "bench_out", "--host", "127.0.0.1:%d" % UAS_PORT, check=True)
        s.ccctl("route", "add", "9.", "trunk:bench_out", check=True)
        if "reg" in measures:
            self.add_reg_users()
        s.start()
        self.watcher = ll.CallWatcher(s.pub_endpoint("sipproxy"))
        self.watcher.start()
        self.start_anchor()
        self.sampler = ll.CpuSampler()
        self.sampler.set_groups(self.groups())
        self.sampler.start()
        say("# suite: sip 127.0.0.1:%d rtp_ports %s postgres pid %d; anchor kamailio pid %s "
            "rtpengine pid %s; uas_mp=%d uac_mp=%d work=%s" % (
                s.sip_port, SUITE_RTP_PORTS, self.cluster.pid, self.kam_pid, self.rtpe_pid,
                self.uas_mp, self.uac_mp, self.work))

    @staticmethod
    def raise_nofile(want=65536):
        """Open-file limit of the processes started here as in deploy/systemd (LimitNOFILE=
        65536): with the shell's limit mediad refuses endpoints beyond limit/3 under
        overload, which is a set-up artefact, not the suite's behaviour."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft >= want:
            return
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
        except (ValueError, OSError):
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            except (ValueError, OSError):
                pass
        now = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        say("# open-file limit %d (was %d; the systemd units set %d%s)" % (
            now, soft, want, "" if now >= want else ": the hard limit here is lower, "
            "so mediad can hold only about limit/3 endpoints"))

    def add_reg_users(self):
        t0 = time.time()
        s = self.suite

        def add(i):
            s.ccctl("user", "add", "7%04d" % i, "--password", REG_PASS, check=True)
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            list(ex.map(add, range(REG_USERS)))
        say("# %d users added with ccctl in %.1f s" % (REG_USERS, time.time() - t0))

    def start_anchor(self):
        kam = ANCHORS / "run_kamailio_anchor.sh"
        self.anchor_started = True
        r = subprocess.run([str(kam), "start"], env=self.kenv(), capture_output=True,
                           text=True, timeout=60)
        try:
            self.kam_pid = int((self.anchor_run / "kamailio.pid").read_text())
            self.rtpe_pid = int((self.anchor_run / "rtpengine.pid").read_text())
            self.anchor_ok = all(os.path.exists("/proc/%d" % p)
                                 for p in (self.kam_pid, self.rtpe_pid))
        except (OSError, ValueError):
            self.anchor_ok = False
        if not self.anchor_ok:
            self.fail("anchor did not start: %s%s" % (r.stdout[-1500:], r.stderr[-1500:]))

    def stop_anchor(self):
        subprocess.run([str(ANCHORS / "run_kamailio_anchor.sh"), "stop"], env=self.kenv(),
                       capture_output=True, timeout=60)
        self.kam_pid = self.rtpe_pid = None

    def groups(self):
        g = {}
        if self.suite:
            for d in ("sipproxy", "mediad", "cdrd"):
                if self.suite.running(d):
                    g[d] = [self.suite.pid(d)]
            g["postgres"] = [self.cluster.pid]
        if self.kam_pid:
            g["kamailio"] = [self.kam_pid]
            g["rtpengine"] = [self.rtpe_pid]
        return g

    def log_summary(self):
        """Warnings and errors the daemons logged during the run, counted by event (and
        status/cmd where given): how the suite failed calls under overload."""
        for d in ("sipproxy", "mediad", "cdrd"):
            counts = {}
            for line in self.suite.log(d).splitlines():
                m = re.search(r"\b(warn|error) event=(\S+)", line)
                if not m:
                    continue
                key = "%s %s" % (m.group(1), m.group(2))
                for f in ("status", "cmd", "error"):
                    v = re.search(r"\b%s=(\"[^\"]*\"|\S+)" % f, line)
                    if v:
                        key += " %s=%s" % (f, v.group(1))
                counts[key] = counts.get(key, 0) + 1
            top = sorted(counts.items(), key=lambda kv: -kv[1])[:8]
            say("log %s warn/error: %s" % (d, "; ".join("%s x%d" % kv for kv in top) or "none"))

    def close(self):
        if self.suite:
            try:
                self.log_summary()
            except Exception as e:  # noqa: BLE001 - a summary must not stop the clean-up
                say("# log summary: %s" % e)
        for obj in (self.sampler, self.watcher, self.db):
            if obj:
                try:
                    obj.stop() if hasattr(obj, "stop") else obj.close()
                except Exception:  # noqa: BLE001
                    pass
        self.db = None
        try:
            if self.anchor_started:
                self.stop_anchor()
        except Exception as e:  # noqa: BLE001 - report and go on cleaning up
            say("# anchor stop: %s" % e)
        if self.suite:
            try:
                self.suite.close()
            except Exception as e:  # noqa: BLE001
                say("# suite close: %s" % e)
        if self.cluster:
            self.cluster.cleanup()
        if os.environ.get("CC_BENCH_KEEP"):
            say("# work kept in %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def fail(self, why):
        self.failures.append(why)
        say("# FAILED: %s" % why)

    def fresh(self, tgt):
        """Restart the target's processes so memory figures start from a clean heap."""
        if tgt == "suite":
            for d in ("sipproxy", "mediad", "cdrd"):
                self.suite.restart(d)
        else:
            self.stop_anchor()
            time.sleep(1)
            self.start_anchor()
        self.sampler.set_groups(self.groups())
        time.sleep(2)

    def target(self, tgt):
        if tgt == "suite":
            return "127.0.0.1:%d" % self.suite.sip_port, SUITE_GROUPS
        return "127.0.0.1:%d" % KAM_MEDIA_PORT, ANCHOR_GROUPS

    def pids(self, groups):
        g = self.groups()
        return " ".join(str(p) for n in groups for p in g.get(n, []))

    # ---- scripts of the anchors, streamed ---------------------------------------------------

    def stream(self, cmd, env, timeout, tag):
        """Run a script in its own process group, echo its step/result lines as they come,
        kill the group if it overruns. Returns (rc, stdout lines)."""
        say("$ %s" % " ".join(str(c) for c in cmd))
        p = subprocess.Popen([str(c) for c in cmd], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(p.pid, signal.SIGTERM))
        timer.start()
        lines = []
        try:
            for line in p.stdout:
                line = line.rstrip("\n")
                lines.append(line)
                if line.startswith(("step", "cps=", "reg_per_s=", "#", "UAS failed")):
                    say("  [%s] %s" % (tag, line))
            rc = p.wait()
        finally:
            timer.cancel()
            if p.poll() is None:  # interrupted: its sipps go with it, and its work dir
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                w = self.workdir(lines, r"\S+")
                if w and str(w).startswith(tempfile.gettempdir()) and \
                        not os.environ.get("CC_BENCH_KEEP"):
                    shutil.rmtree(w, ignore_errors=True)
            else:
                try:  # the script's own children (sipp UAS) if it died without its trap
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if rc != 0:
            say("  [%s] exit %s; last lines:\n    %s" % (tag, rc, "\n    ".join(lines[-8:])))
        return rc, lines

    @staticmethod
    def last(lines, key):
        for line in reversed(lines):
            m = re.match(r"%s=(\d+)" % key, line)
            if m:
                return int(m.group(1)), line
        return 0, None

    @staticmethod
    def workdir(lines, kind):
        for line in lines:
            m = re.match(r"# %s .* work=(\S+)" % kind, line)
            if m:
                return Path(m.group(1))
        return None

    def price(self, groups, res):
        """{group: CPU us per operation} over a sipp run's window; res from stat_summary."""
        if not res or not res.get("created") or not res.get("t_start") or not res.get("t_end"):
            return None
        out = {}
        for g in groups:
            c = self.sampler.cpu_s(g, res["t_start"], res["t_end"])
            out[g] = None if c is None else c * 1e6 / res["created"]
        vals = [v for v in out.values() if v is not None]
        out["total"] = sum(vals) if vals else None
        return out

    # ---- CDR check ---------------------------------------------------------------------------

    def md_endpoints(self):
        try:
            return self.suite.bus_call("mediad", "status", timeout=5)["result"]["details"][
                "endpoints"]
        except Exception:  # noqa: BLE001 - busy or restarting: no figure this time
            return None

    def sp_status(self):
        try:
            return self.suite.bus_call("sipproxy", "status", timeout=5)["result"]["details"]
        except Exception:  # noqa: BLE001 - busy or restarting: no figure this time
            return None

    def query(self, sql):
        """Rows of `sql` on one connection kept for the run (a new backend per query would
        be a Postgres fork per poll of the drain loop)."""
        for attempt in (1, 2):
            try:
                if self.db is None:
                    self.db = self.suite.connect()
                with self.db.cursor() as cur:
                    cur.execute(sql)
                    return cur.fetchall()
            except Exception:  # noqa: BLE001 - reconnect once (Postgres restarted, ...)
                try:
                    self.db.close()
                except Exception:  # noqa: BLE001
                    pass
                self.db = None
                if attempt == 2:
                    raise

    def cdr_count(self):
        return self.query("SELECT count(*) FROM cdrs")[0][0]

    def cdr_kinds(self):
        """{(disposition, reason): rows} of the whole cdrs table."""
        return {(d, r): n for d, r, n in self.query(
            "SELECT disposition, reason, count(*) FROM cdrs GROUP BY 1, 2")}

    def cdr_begin(self):
        st = self.sp_status() or {}
        return {"cdrs": self.cdr_count(), "watch": self.watcher.mark(), "kinds": self.cdr_kinds(),
                "calls_total": st.get("calls_total"), "t": time.time(),
                "mediad_log": len(self.suite.log("mediad"))}

    def port_trouble(self, mark, what):
        """mediad's rtp.port_busy / endpoint.open_failed lines since `mark`: ports of
        SUITE_RTP_PORTS held by other processes. Skipped ports cost nothing, but a block of
        64 busy pairs makes mediad refuse endpoints, and then the run measured the machine,
        not the suite: that is reported as a failure."""
        text = self.suite.log("mediad")[mark["mediad_log"]:]
        busy = text.count("event=rtp.port_busy")
        inuse = len(re.findall(r"event=endpoint.open_failed .*in use", text))
        if inuse:
            self.fail("suite %s: mediad refused %d endpoints because ports of %s were held by "
                      "other processes (%d busy ports skipped): this run's figures are not "
                      "the suite's; set SUITE_RTP_PORTS to a range nobody else uses" % (
                          what, inuse, SUITE_RTP_PORTS, busy))
        return busy, inuse

    def cdr_end(self, mark, what, created, ok=None, failed=None, max_wait=45.0):
        """Wait for the calls to drain (no active call in sipproxy, no endpoint in mediad
        and the CDR count still for 1 s, or all three still for 3 s), then print the counts.
        Endpoints left in mediad once sipproxy has no call are leaked (mediad_endpoints_left:
        an endpoint.create answered after sipproxy gave up on it, for instance)."""
        t0 = time.time()
        last, still_since = None, time.time()
        calls = eps = None
        while True:
            st = self.sp_status()
            calls = st.get("calls") if st else None
            eps = self.md_endpoints()
            now = (self.cdr_count(), calls, eps)
            if now != last:
                last, still_since = now, time.time()
            still = time.time() - still_since
            if (calls == 0 and eps == 0 and still >= 1.0) or still >= 3.0 \
                    or time.time() - t0 > max_wait:
                break
            time.sleep(0.25)
        st = self.sp_status() or {}
        ids = self.watcher.since(mark["watch"])
        ndup, extra, examples = ll.duplicates(ids)
        cdrs = self.cdr_count() - mark["cdrs"]
        kinds = self.cdr_kinds()
        delta = {k: n - mark["kinds"].get(k, 0) for k, n in kinds.items()
                 if n != mark["kinds"].get(k, 0)}
        answered = sum(n for (d, _), n in delta.items() if d == "answered")
        others = sorted(((n, d, r) for (d, r), n in delta.items() if d != "answered"),
                        reverse=True)
        total = (st.get("calls_total") - mark["calls_total"]
                 if st.get("calls_total") is not None and mark["calls_total"] is not None
                 else None)
        problems = []
        if ndup:
            problems.append("duplicate_calls")  # sipproxy made >1 call of one SIP call
        if cdrs != len(ids):
            problems.append("cdrs!=call_created")  # cdrd lost or doubled a CDR
        if cdrs > created:
            problems.append("cdrs>sipp_calls")
        if calls != 0:
            problems.append("calls_left")  # calls still up after the drain: no CDR yet
        exact = not problems
        busy, inuse = self.port_trouble(mark, what)
        d = {"what": what, "created": created, "ok": ok, "failed": failed,
             "call_created": len(ids), "calls_total": total, "cdrs": cdrs, "dup": ndup,
             "dup_calls": extra, "left": calls, "exact": exact, "problems": problems,
             "answered": answered, "endpoints_left": eps,
             "drain_s": time.time() - t0}
        self.cdr.append(d)
        say("cdr_check run=%s sipp_created=%d sipp_ok=%s sipp_failed=%s call_created=%d "
            "calls_total=%s cdrs=%d cdrs_answered=%d dup_sip_call_ids=%d%s calls_left=%s "
            "mediad_endpoints_left=%s drain_s=%.1f%s -> %s%s" % (
                what, created, fmt(ok, "%d"), fmt(failed, "%d"), len(ids), fmt(total, "%d"),
                cdrs, answered, ndup,
                (" (extra calls %d, e.g. %s)" % (extra, examples)) if ndup else "",
                fmt(calls, "%d"), fmt(eps, "%d"), d["drain_s"],
                (" rtp_ports_busy=%d endpoints_refused_busy=%d" % (busy, inuse))
                if busy or inuse else "",
                "exactly-once" if exact else "MISMATCH:" + ",".join(problems),
                ("  # not answered: " + "; ".join("%s %s: %d" % (dd, r, n)
                                                  for n, dd, r in others[:4])) if others else ""))
        return d

    # ---- measurements ------------------------------------------------------------------------

    def ramp_budget(self, kind, tgt):
        """The first ramp of a target starts from a fixed guess and doubles: it gets half as
        long again to bisect; later ones start at 0.6x the median so far."""
        return self.a.budget if self.r[kind][tgt] else int(self.a.budget * 1.5)

    def start_rate(self, kind, tgt, default):
        prev = med(self.r[kind][tgt])
        return max(50, int(prev * 0.6)) if prev else default

    def cps(self, tgt, rnd):
        addr, groups = self.target(tgt)
        start = self.start_rate("cps", tgt, 250 if tgt == "suite" else 400)
        env = self.kenv(START_CPS=start, BUDGET_S=self.ramp_budget("cps", tgt),
                        STEP_S=self.a.step_s, DIAL=DIAL, TARGET_PIDS=self.pids(groups))
        mark = self.cdr_begin() if tgt == "suite" else None
        rc, lines = self.stream([ANCHORS / "sip_cps.sh", addr], env, self.a.budget + 150,
                                "%s cps" % tgt)
        cps, line = self.last(lines, "cps")
        w = self.workdir(lines, "sip_cps")
        steps = {}
        if w:
            for d in sorted(w.glob("r*")):
                steps[d.name] = ll.stat_summary(ll.read_stat(d / "stat.csv"))
        cpu = self.price(groups, steps.get("r%d" % cps)) if cps else None
        if tgt == "suite":
            tot = lambda k: sum(s[k] for s in steps.values() if s)  # noqa: E731
            self.cdr_end(mark, "cps-r%d" % rnd, tot("created"), tot("ok"), tot("failed"))
        if w and not os.environ.get("CC_BENCH_KEEP"):
            shutil.rmtree(w, ignore_errors=True)
        if not cps:
            self.fail("%s cps round %d: no passing step (rc %s): %s" % (
                tgt, rnd, rc, line or (lines[-1] if lines else "no output")))
        self.r["cps"][tgt].append(cps)
        self.cpu["cps"][tgt].append(cpu)
        say("cps target=%s round=%d cps=%d cpu_us_per_call %s" % (
            LABEL[tgt], rnd, cps, self.cpu_text(cpu, groups)))

    @staticmethod
    def cpu_text(cpu, groups):
        if not cpu:
            return "-"
        return " ".join("%s=%s" % (g, fmt(cpu.get(g), "%.0f")) for g in groups + ("total",))

    def goodput(self, tgt, rnd, capacity):
        addr, groups = self.target(tgt)
        if not capacity:
            self.fail("%s goodput round %d: no capacity (cps) to scale the offered load" % (
                tgt, rnd))
            return
        w = self.work / ("goodput-%s-%d" % (tgt, rnd))
        uas = ll.Sipp(ANCHORS / "scenarios" / "uas_call.xml", UAS_PORT, self.uas_mp, w)
        rows = {}
        try:
            uas.start()
            for x in self.a.levels:
                rate = max(1, int(round(x * capacity)))
                count = rate * self.a.goodput_s
                mark = self.cdr_begin() if tgt == "suite" else None
                res = ll.run_uac(w / ("x%s" % x), addr, ANCHORS / "scenarios" / "uac_call.xml",
                                 rate, count, UAC_PORT, self.uac_mp, extra=["-s", DIAL],
                                 window=self.a.goodput_s, timeout=self.a.goodput_s + 30)
                t_done = time.time()
                if res is None:
                    self.fail("%s goodput x=%s: sipp wrote no statistics (see %s)" % (
                        tgt, x, w / ("x%s" % x) / "sipp.out"))
                    continue
                win = (res["t_start"], res["t_start"] + self.a.goodput_s)
                cpu = {g: self.sampler.cpu_s(g, *win) for g in groups}
                cpu_pct = (100.0 * sum(v for v in cpu.values() if v) / self.a.goodput_s)
                row = {"offered": rate, "sent": res["created_in_window"] / self.a.goodput_s,
                       "goodput": res["ok_in_window"] / self.a.goodput_s,
                       "ok": res["ok"], "failed": res["failed"], "created": res["created"],
                       "failed_pct": 100.0 * res["failed"] / max(1, res["created"]),
                       "wall": res["wall"], "cpu_pct": cpu_pct, "retrans": res["retrans"]}
                rows[x] = row
                if tgt == "suite":
                    d = self.cdr_end(mark, "goodput-r%d-x%s" % (rnd, x), res["created"],
                                     res["ok"], res["failed"])
                    row["cdr_exact"] = d["exact"]
                # the same pause for both targets: the UAS counts a call 2 s after its BYE
                # (timewait) and writes its statistics once a second
                time.sleep(max(0.0, t_done + 3.5 - time.time()))
                u = uas.delta()
                say("goodput target=%s round=%d x=%s offered=%d sent=%.0f/s goodput=%.0f/s "
                    "ok=%d failed=%d failed_pct=%.2f%% wall_s=%.1f target_cpu=%.0f%% "
                    "retrans=%d fail_kinds=%s uas_ok=%d uas_failed=%d\n"
                    "  uac_events %s\n  uas_events %s" % (
                        LABEL[tgt], rnd, x, rate, row["sent"], row["goodput"], res["ok"],
                        res["failed"], row["failed_pct"], res["wall"] or -1, cpu_pct,
                        res["retrans"], ll.fail_text(res), u["ok"], u["failed"],
                        ll.events_text(res["events"], 6), ll.events_text(u["events"], 6)))
        finally:
            uas.stop()
        self.gp[tgt].append(rows)

    def reg(self, tgt, rnd):
        if tgt == "suite":
            start = self.start_rate("reg", tgt, 800)
            w = self.suite.var_dir / "reg" / ("round%d" % rnd)
            rc, lines = self.reg_suite(w, start, self.ramp_budget("reg", tgt))
            groups = SUITE_GROUPS
        else:
            start = self.start_rate("reg", tgt, 2000)
            env = self.kenv(START_RPS=start, BUDGET_S=self.ramp_budget("reg", tgt),
                            STEP_S=self.a.step_s, TARGET_PIDS=self.pids(("kamailio",)))
            rc, lines = self.stream([ANCHORS / "sip_reg.sh", "127.0.0.1:%d" % KAM_PORT], env,
                                    self.a.budget + 150, "anchor reg")
            w = self.workdir(lines, "sip_reg")
            groups = ("kamailio",)
        rps, line = self.last(lines, "reg_per_s")
        cpu = None
        if rps and w:
            cpu = self.price(groups, ll.stat_summary(ll.read_stat(w / ("r%d" % rps) / "stat.csv")))
        if w and tgt == "anchor" and not os.environ.get("CC_BENCH_KEEP"):
            shutil.rmtree(w, ignore_errors=True)
        if not rps:
            self.fail("%s reg round %d: no passing step (rc %s): %s" % (
                tgt, rnd, rc, line or (lines[-1] if lines else "no output")))
        self.r["reg"][tgt].append(rps)
        self.cpu["reg"][tgt].append(cpu)
        say("reg target=%s round=%d reg_per_s=%d cpu_us_per_register %s" % (
            "suite" if tgt == "suite" else "kamailio", rnd, rps, self.cpu_text(cpu, groups)))

    def reg_suite(self, w, start, budget):
        """The anchor's REGISTER ramp (lib.sh) against the suite with numeric users."""
        w.mkdir(parents=True, exist_ok=True)
        users = w / "users.csv"
        users.write_text("SEQUENTIAL\n" + "".join("7%04d;%s\n" % (i, REG_PASS)
                                                  for i in range(REG_USERS)))
        script = w / "reg.sh"
        script.write_text(r'''set -u
HERE=%(anchors)s
. "$HERE/lib.sh"
TARGET=$1; W=%(w)s; TARGET_PIDS="%(pids)s"; GEN_PIDS=""
STEP_S=%(step)d; BUDGET_S=%(budget)d
step() {
	local rate=$1 count=$(($1 * STEP_S))
	sipp_step "r$rate" "$rate" "$count" "$TARGET" -sf "$HERE/scenarios/uac_reg.xml" \
		-inf "%(users)s" -s '[field0]' -ap "%(pw)s" -i 127.0.0.1 -p %(port)d
	local res=FAIL
	step_pass "$rate" "$count" && res=PASS
	LAST_LINE="rate=$rate regs=$count ok=$S_OK failed=$S_FAIL med_ms=$S_MED wall_s=$S_WALL target_cpu=$S_TCPU%%"
	echo "step $LAST_LINE -> $res"
	[ $res = PASS ]
}
echo "# sip_reg(suite) target=$TARGET work=$W"
ramp step %(start)d 20000
echo "reg_per_s=$BEST  # $BEST_LINE"
''' % {"anchors": ANCHORS, "w": w, "pids": self.pids(SUITE_GROUPS), "budget": budget,
       "step": self.a.step_s, "users": users, "pw": REG_PASS, "port": REG_PORT, "start": start})
        return self.stream(["bash", str(script), "127.0.0.1:%d" % self.suite.sip_port],
                           dict(os.environ), self.a.budget + 150, "suite reg")

    def mem_snapshot(self, tgt):
        """{name: kB}: RSS of each suite daemon; PSS sums for Kamailio's and rtpengine's trees."""
        g = self.groups()
        if tgt == "suite":
            return {d: ll.rss_kb(g[d][0]) for d in ("sipproxy", "mediad", "cdrd")}
        return {"kamailio": ll.tree_mem_kb(g["kamailio"])[1],
                "rtpengine": ll.tree_mem_kb(g["rtpengine"])[1]}

    def rss_rounds(self, tgt):
        addr, _ = self.target(tgt)
        self.fresh(tgt)
        w = self.work / ("rss-%s" % tgt)
        uas = ll.Sipp(ANCHORS / "scenarios" / "uas_call.xml", UAS_PORT, self.uas_mp, w)
        series = []
        try:
            uas.start()
            if self.a.rss_warmup > 0:
                mark = self.cdr_begin() if tgt == "suite" else None
                res = ll.run_uac(w / "warmup", addr, ANCHORS / "scenarios" / "uac_call.xml",
                                 self.a.rss_warmup_rate, self.a.rss_warmup, UAC_PORT,
                                 self.uac_mp, extra=["-s", DIAL])
                if res is None:
                    self.fail("%s rss warm-up: sipp wrote no statistics" % tgt)
                    return
                if tgt == "suite":
                    self.cdr_end(mark, "rss-warmup", res["created"], res["ok"], res["failed"])
                say("rss target=%s warmup ok=%d failed=%d %s" % (
                    LABEL[tgt], res["ok"], res["failed"], " ".join(
                        "%s=%dkB" % kv for kv in self.mem_snapshot(tgt).items())))
            series.append(("start", self.mem_snapshot(tgt)))
            for i in range(1, self.a.rss_rounds + 1):
                mark = self.cdr_begin() if tgt == "suite" else None
                res = ll.run_uac(w / ("round%d" % i), addr,
                                 ANCHORS / "scenarios" / "uac_call.xml", self.a.rss_rate,
                                 self.a.rss_calls, UAC_PORT, self.uac_mp, extra=["-s", DIAL])
                if res is None:
                    self.fail("%s rss round %d: sipp wrote no statistics" % (tgt, i))
                    break
                if tgt == "suite":
                    self.cdr_end(mark, "rss-%d" % i, res["created"], res["ok"], res["failed"])
                else:
                    time.sleep(1.0)
                snap = self.mem_snapshot(tgt)
                series.append((i, snap))
                say("rss target=%s round=%d ok=%d failed=%d %s" % (
                    LABEL[tgt], i, res["ok"], res["failed"],
                    " ".join("%s=%dkB" % kv for kv in snap.items())))
        finally:
            uas.stop()
        self.rss[tgt] = series

    def held(self, tgt):
        addr, _ = self.target(tgt)
        self.fresh(tgt)
        n, w = self.a.held, self.work / ("mem-%s" % tgt)
        uas = ll.Sipp(ANCHORS / "scenarios" / "uas_call.xml", UAS_PORT, self.uas_mp, w)
        result = {}
        try:
            uas.start()
            before = self.mem_snapshot(tgt)
            mark = self.cdr_begin() if tgt == "suite" else None
            box = {}
            th = threading.Thread(target=lambda: box.setdefault("res", ll.run_uac(
                w / "uac", addr, ANCHORS / "scenarios" / "uac_call.xml", self.a.held_rate, n,
                UAC_PORT, self.uac_mp, extra=["-s", DIAL, "-d", self.a.hold_s * 1000],
                timeout=self.a.hold_s + n // self.a.held_rate + 40)))
            th.start()
            setup_s = n / self.a.held_rate
            # measure once every call is up and the set-up transactions have lingered out
            time.sleep(setup_s + LINGER_S + 2.0)
            rows = ll.read_stat(w / "uac" / "stat.csv")
            up = ll._int(rows[-1], "CurrentCall") if rows else -1
            failed = ll._int(rows[-1], "FailedCall(C)") if rows else -1
            held = self.mem_snapshot(tgt)
            extra = ""
            if tgt == "suite":
                st = self.sp_status() or {}
                try:
                    md = self.suite.bus_call("mediad", "status")["result"]["details"]
                except Exception:  # noqa: BLE001
                    md = {}
                extra = " sipproxy_calls=%s mediad_endpoints=%s" % (st.get("calls"),
                                                                     md.get("endpoints"))
            th.join(self.a.hold_s + 120)
            res = box.get("res")
            if tgt == "suite" and res:
                self.cdr_end(mark, "held", res["created"], res["ok"], res["failed"])
            else:
                time.sleep(2.0)
            after = self.mem_snapshot(tgt)
            say("mem target=%s held=%d up_at_measure=%d failed_at_measure=%d%s before=%s "
                "held=%s after=%s" % (LABEL[tgt], n, up, failed, extra, before, held, after))
            if up != n or failed:
                self.fail("%s mem: %d of %d calls up at the measurement (%d failed)" % (
                    tgt, up, n, failed))
            per = {k: (held[k] - before[k]) * 1024.0 / n for k in held}
            per["total"] = sum(per.values())
            result = {"before": before, "held": held, "after": after, "per": per, "up": up}
        finally:
            uas.stop()
        self.mem[tgt] = result

    # ---- the plan ----------------------------------------------------------------------------

    def estimate(self, measure):
        if self.durations.get(measure):
            return max(self.durations[measure])
        a = self.a
        return {"cps": a.budget + 15, "reg": a.budget + 15,
                "goodput": len(a.levels) * (a.goodput_s + 7),
                "rss": a.rss_rounds * (a.rss_calls / a.rss_rate + 4) + 10
                + (a.rss_warmup / a.rss_warmup_rate + 4 if a.rss_warmup > 0 else 0),
                "mem": a.hold_s + a.held / a.held_rate + 20}[measure]

    def timed(self, measure, fn, *args):
        t = time.time()
        fn(*args)
        self.durations.setdefault(measure, []).append(time.time() - t)

    def fits(self, measure, reserve=0.0):
        left = self.deadline - time.time() - reserve
        return left >= 2 * self.estimate(measure)

    def targets(self):
        return ["suite", "anchor"] if self.anchor_ok else ["suite"]

    def run(self, measures):
        per_round = [m for m in ("cps", "goodput", "reg") if m in measures]
        once = [m for m in ("rss", "mem") if m in measures]
        if "goodput" in measures and "cps" not in measures and not self.a.capacity:
            per_round.insert(0, "cps")  # capacity is measured in the same run
            say("# goodput needs the capacity: cps runs too (or give --capacity)")
        reserve = sum(2 * self.estimate(m) for m in once)
        for rnd in range(1, self.a.rounds + 1):
            order = self.targets() if rnd % 2 == 1 else list(reversed(self.targets()))
            say("# round %d order %s load %s" % (rnd, order,
                                                  open("/proc/loadavg").read().split()[:3]))
            for m in per_round:
                if not self.fits(m, reserve):
                    say("# budget: %s round %d skipped (%.0f s left, about %.0f s needed)" % (
                        m, rnd, self.deadline - time.time() - reserve, 2 * self.estimate(m)))
                    continue
                for tgt in order:
                    if m == "cps":
                        self.timed(m, self.cps, tgt, rnd)
                    elif m == "reg":
                        self.timed(m, self.reg, tgt, rnd)
                    else:
                        # capacity: the median of this target's cps so far in this run
                        # (this round's included), so one noisy ramp does not skew a round
                        cap = (med(self.r["cps"][tgt]) if any(self.r["cps"][tgt])
                               else self.capacity_arg(tgt))
                        self.timed(m, self.goodput, tgt, rnd, cap)
        for m in once:
            for tgt in self.targets():
                self.timed(m, self.rss_rounds if m == "rss" else self.held, tgt)
        for tgt in ("suite", "anchor"):
            if tgt == "anchor" and not self.anchor_ok:
                continue
            for m in measures:
                if m == "goodput" and not self.gp[tgt]:
                    self.fail("%s goodput: no figure" % tgt)
                if m in ("rss", "mem") and not getattr(self, m).get(tgt):
                    self.fail("%s %s: no figure" % (tgt, m))

    def capacity_arg(self, tgt):
        if not self.a.capacity:
            return None
        s, _, k = self.a.capacity.partition(",")
        return int(s) if tgt == "suite" else (int(k) if k else None)

    # ---- summary -----------------------------------------------------------------------------

    def summary(self, measures):
        say("# ==== summary: medians of the rounds run; suite processes sipproxy mediad cdrd "
            "postgres, anchor kamailio rtpengine; %.1f min" % ((time.time() - self.t0) / 60))
        say("# results %s" % {k: v for k, v in self.r.items()})
        if self.r["cps"]["suite"]:
            s, k = med(self.r["cps"]["suite"]), med(self.r["cps"]["anchor"]) or 0
            say("calls_per_s suite=%d kamailio+rtpengine=%d ratio=%.2f" % (s, k, s / max(1, k)))
            cs, ck = self.med_cpu("cps", "suite"), self.med_cpu("cps", "anchor")
            say("cpu_us_per_call suite %s | kamailio+rtpengine %s | ratio=%s" % (
                self.cpu_text(cs, SUITE_GROUPS), self.cpu_text(ck, ANCHOR_GROUPS),
                fmt(cs["total"] / ck["total"] if cs and ck and cs.get("total") and ck.get("total")
                    else None, "%.2f")))
        if any(self.gp.values()):
            self.goodput_table()
        if self.r["reg"]["suite"]:
            s, k = med(self.r["reg"]["suite"]), med(self.r["reg"]["anchor"]) or 0
            say("registers_per_s suite=%d kamailio=%d ratio=%.2f" % (s, k, s / max(1, k)))
            say("cpu_us_per_register suite %s | kamailio %s" % (
                self.cpu_text(self.med_cpu("reg", "suite"), SUITE_GROUPS),
                self.cpu_text(self.med_cpu("reg", "anchor"), ("kamailio",))))
        for tgt, series in self.rss.items():
            if not series:
                continue
            names = list(series[0][1])
            say("rss_kb target=%s calls_per_round=%d rate=%d %s" % (
                LABEL[tgt], self.a.rss_calls, self.a.rss_rate, " ".join(
                    "%s=[%s]" % (n, ",".join(str(snap[n]) for _, snap in series)) for n in names)))
            rounds = [(i, snap) for i, snap in series if i != "start"]
            if len(rounds) >= 3:
                (i2, s2), (il, sl) = rounds[1], rounds[-1]
                tail = ""
                if len(rounds) >= 8:  # is the growth slowing down? the last 5 rounds alone
                    i5, s5 = rounds[-6]
                    tail = " | last_5_rounds " + " ".join(
                        "%s=%.1f" % (n, (sl[n] - s5[n]) / (il - i5)) for n in names)
                say("rss_growth_kb_per_round target=%s after_round=2 %s%s" % (
                    LABEL[tgt], " ".join("%s=%.1f" % (n, (sl[n] - s2[n]) / (il - i2))
                                         for n in names), tail))
        for tgt, m in self.mem.items():
            if m:
                say("mem_per_call_bytes target=%s held=%d %s (kB before/held/after: %s)" % (
                    LABEL[tgt], self.a.held, " ".join("%s=%.0f" % kv for kv in m["per"].items()),
                    " ".join("%s=%d/%d/%d" % (k, m["before"][k], m["held"][k], m["after"][k])
                             for k in m["before"])))
        if self.cdr:
            bad = [d for d in self.cdr if not d["exact"]]
            say("cdr_summary runs=%d exactly_once=%d mismatched=%d sipp_created=%d call_created=%d "
                "cdrs=%d dup_sip_call_ids=%d calls_left_max=%s mediad_endpoints_left_max=%s%s"
                % (
                    len(self.cdr), len(self.cdr) - len(bad), len(bad),
                    sum(d["created"] for d in self.cdr), sum(d["call_created"] for d in self.cdr),
                    sum(d["cdrs"] for d in self.cdr), sum(d["dup"] for d in self.cdr),
                    max((d["left"] or 0) for d in self.cdr),
                    max((d["endpoints_left"] or 0) for d in self.cdr),
                    (" mismatched_runs=%s" % [d["what"] for d in bad]) if bad else ""))

    def med_cpu(self, kind, tgt):
        runs = [c for c in self.cpu[kind][tgt] if c]
        if not runs:
            return None
        return {k: med([c.get(k) for c in runs]) for k in runs[0]}

    def goodput_table(self):
        xs = sorted({x for t in self.gp.values() for rows in t for x in rows})
        n = max(len(v) for v in self.gp.values())
        say("goodput (medians of %d rounds, per column; x = offered / that target's capacity "
            "(median cps so far in this run); %d s offered per level; goodput = calls completed "
            "OK within those seconds, per s; failed%% after the drain; cpu%% = the target's "
            "processes, 100 = one core)" % (n, self.a.goodput_s))
        head = "%-5s" % "x"
        for tgt in ("suite", "anchor"):
            if self.gp[tgt]:
                head += " | %-18s %7s %7s %8s %8s %5s" % (LABEL[tgt], "offered", "sent/s",
                                                         "goodput", "failed%", "cpu%")
        say(head)
        for x in xs:
            line = "%-5s" % x
            for tgt in ("suite", "anchor"):
                if not self.gp[tgt]:
                    continue
                rows = [r[x] for r in self.gp[tgt] if x in r]
                g = lambda k: med([r[k] for r in rows])  # noqa: E731
                line += " | %-18s %7s %7s %8s %8s %5s" % (
                    "", fmt(g("offered")), fmt(g("sent")), fmt(g("goodput")),
                    fmt(g("failed_pct"), "%.2f"), fmt(g("cpu_pct")))
            say(line)
        for tgt in ("suite", "anchor"):
            for x in xs:
                rows = [r[x] for r in self.gp[tgt] if x in r]
                if rows:
                    g = lambda k: med([r[k] for r in rows])  # noqa: E731
                    say("goodput target=%s x=%s offered=%.0f sent=%.0f goodput=%.0f "
                        "failed_pct=%.2f cpu_pct=%.0f rounds=%d" % (
                            LABEL[tgt], x, g("offered"), g("sent"), g("goodput"),
                            g("failed_pct"), g("cpu_pct"), len(rows)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default=",".join(MEASURES),
                    help="comma list of %s (default all)" % ",".join(MEASURES))
    ap.add_argument("--budget", type=int, default=45, help="seconds per cps/reg ramp")
    ap.add_argument("--step-s", type=int, default=5, help="seconds per ramp step")
    ap.add_argument("--max-minutes", type=float, default=25,
                    help="rounds of a measurement that would end past this are skipped")
    ap.add_argument("--levels", default="0.5,1,1.5,2,3")
    ap.add_argument("--goodput-s", type=int, default=7)
    ap.add_argument("--capacity", default=None,
                    help="SUITE,ANCHOR calls/s for goodput when cps is not measured")
    ap.add_argument("--rss-rounds", type=int, default=10)
    ap.add_argument("--rss-calls", type=int, default=1600)
    ap.add_argument("--rss-rate", type=int, default=320)
    ap.add_argument("--rss-warmup", type=int, default=17000,
                    help="calls before the rss rounds (0: none), to fill bounded caches")
    ap.add_argument("--rss-warmup-rate", type=int, default=800)
    ap.add_argument("--held", type=int, default=1000)
    ap.add_argument("--held-rate", type=int, default=200)
    ap.add_argument("--hold-s", type=int, default=20)
    a = ap.parse_args()
    measures = [m.strip() for m in a.only.split(",") if m.strip()]
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        ap.error("unknown measurement %s (have %s)" % (bad, ",".join(MEASURES)))
    a.levels = [float(x) if "." in x else int(x) for x in a.levels.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    say("# sip_bench nproc=%d load=%s measures=%s rounds=%d budget=%ds max=%.0fmin" % (
        os.cpu_count(), open("/proc/loadavg").read().split()[:3], measures, a.rounds, a.budget,
        a.max_minutes))
    b = Bench(a)
    code = 0
    try:
        b.setup(measures)
        b.run(measures)
    except (Failed, RuntimeError, sm.HarnessError) as e:
        b.fail(str(e))
    except (SystemExit, KeyboardInterrupt) as e:  # SIGTERM, ^C: clean up, show what we have
        code = e.code if isinstance(e, SystemExit) and isinstance(e.code, int) else 130
        b.fail("interrupted (exit %d)" % code)
    finally:
        b.close()
    b.summary(measures)
    if b.failures:
        say("# %d problem(s); a measurement without figures or with figures that are not "
            "the suite's:" % len(b.failures))
        for f in b.failures:
            say("# FAILED: %s" % f)
        sys.exit(code or 1)


if __name__ == "__main__":
    main()
