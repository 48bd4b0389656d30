"""Live-dialling suites (dialerd with sipproxy, mediad and acdd) for the dialer tests: the
suite with dialerd's quick reload and tick, a queue whose agents take the answered calls,
a customer trunk with its route, and the teardown of sipp customers and agent phones."""

import suite as sm

DAEMONS = ["sipproxy", "mediad", "acdd", "dialerd"]


def dialer_suite(pg_cluster, name, rtp_ports):
    """A suite (not started) of DAEMONS that reloads campaigns every second and ticks every
    200 ms, with `rtp_ports` free RTP ports."""
    return sm.Suite(pg_cluster, name=name, daemons=DAEMONS,
                    config={"common.rtp_ports": sm.free_port_range(rtp_ports),
                            "dialerd.reload_s": "1", "dialerd.tick_ms": "200"})


def add_agent_queue(s, queue, number, agents):
    """A user for each extension of `agents` (password "secret" + ext), the queue `queue` on
    `number` (10 s ring, no announcement) and each extension an agent of it."""
    for ext in agents:
        s.ccctl("user", "add", ext, "--password", "secret" + ext, check=True)
    s.ccctl("queue", "add", queue, "--number", number, "--ring-timeout", "10",
            "--no-announce", check=True)
    for ext in agents:
        s.ccctl("agent", "add", ext, "--queue", queue, check=True)


def add_customer_trunk(s, trunk, route, port):
    """The trunk `trunk` to a customer on 127.0.0.1:`port`, dialled for numbers of `route`."""
    s.ccctl("trunk", "add", trunk, "--host", "127.0.0.1:%d" % port, check=True)
    s.ccctl("route", "add", route, "trunk:" + trunk, check=True)


def stop_dialer_suite(s, sipps, uas):
    """Kill the sipp customers still running, stop the agents' phones, close the suite."""
    for p in sipps:
        if p.poll() is None:
            p.kill()
            p.wait(5)
    for ua in uas:
        ua.stop()
    s.close()
