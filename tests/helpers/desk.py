"""The agent desktop (webd's /agent page) in tests with real clients: the agent's baresip
phone that answers by hand, as an agent does, and chromium logged in on the page."""

from helpers.audio import make_tone
from helpers.phones import Baresip
from helpers.webclient import Browser


def manual_agent_phone(s, ext, freq, uas):
    """The agent's phone (the user must exist, password "secret"+ext) answering by hand and
    playing a sine at `freq` Hz: in s.ua[ext] and, as soon as it runs, in `uas` (the caller
    stops it, also when registering fails); returns once it is registered."""
    tone = s.var_dir / "tone-agent.wav"
    make_tone(tone, freq, 240, 0.5)
    if not hasattr(s, "ua"):
        s.ua = {}
    s.ua[ext] = Baresip(s, ext, "secret" + ext, tone, answer="manual")
    uas.append(s.ua[ext])
    assert s.ua[ext].wait_log("200 OK", 10), "%s did not register" % ext


def open_desk(s, artifacts, name, password):
    """chromium logged in to webd (s.base) as web user `name` on /agent, its desk connected;
    screenshots go to `artifacts`. The browser is closed again when that fails."""
    b = Browser(env=s.env(), artifacts=artifacts)
    try:
        b.page("main")
        b.goto(s.base + "/login")
        b.cmd("fill", selector="#name", value=name)
        b.cmd("fill", selector="#password", value=password)
        b.cmd("click", selector="#login-button")
        b.wait("location.pathname === '/agent' && window.__desk && window.__desk.connected",
               timeout=20)
    except BaseException:
        b.close()
        raise
    return b
