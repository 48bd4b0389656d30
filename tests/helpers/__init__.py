"""Helpers the integration tests share (the harness itself is tests/suite.py, imported as
`suite as sm`). Test modules import from here, never from each other:

    audio      tones made with sox, Goertzel tone shares, RMS, G.711 u-law
    phones     baresip phones (Baresip, the five-phone set), calls between them
    desk       the agent desktop: the agent's phone answering by hand, chromium on /agent
    media      mediad started alone with its bus client, fake RTP phones, RTP packets
    bus        bus calls that must succeed, waits for events and conditions, acdd agents
    dialer     live-dialling suites: dialerd's settings, a queue of agents, customer trunks
    recording  recorderd's recordings: the index row of a call, the stereo WAV's channels
    sipwire    SIP messages sniffed on loopback (raw socket)
    trunks     sipp trunks on both sides of the suite for load tests, their statistics
    webclient  webd's JSON API over a real socket, SSE streams, chromium via playwright-core
"""
