/* md_dtmf_test.c - unit tests of DTMF detection: RFC 4733 payload parsing, one report per
 * key with retransmitted ends, lost ends and long events; in-band Goertzel detection of
 * every key from synthesized G.711 audio, and what it must refuse: too short, too much
 * twist, noise, a single tone, speech-like harmonics, a low level. */
#include <math.h>
#include <stdlib.h>

#include "cc_test.h"
#include "md_dtmf.h"
#include "md_g711.h"

#define MS 1000ull

/* ---- RFC 4733 ---------------------------------------------------------------------- */

static void s_te(uint8_t *p, int event, bool end, int volume, int duration)
{
    p[0] = (uint8_t)event;
    p[1] = (uint8_t)((end ? 0x80 : 0) | (volume & 0x3f));
    p[2] = (uint8_t)(duration >> 8);
    p[3] = (uint8_t)duration;
}

CC_TEST(dtmf_te_parse)
{
    uint8_t p[4];
    md_te_payload_t te;
    s_te(p, 11, true, 10, 1600);
    CC_CHECK_INT(md_te_parse(p, 4, &te), 0);
    CC_CHECK_INT(te.event, 11);
    CC_CHECK(te.end);
    CC_CHECK_INT(te.volume, 10);
    CC_CHECK_INT(te.duration, 1600);
    CC_CHECK_INT(md_te_parse(p, 3, &te), -1);
    CC_CHECK_INT(md_dtmf_digit(0), '0');
    CC_CHECK_INT(md_dtmf_digit(9), '9');
    CC_CHECK_INT(md_dtmf_digit(10), '*');
    CC_CHECK_INT(md_dtmf_digit(11), '#');
    CC_CHECK_INT(md_dtmf_digit(12), 'A');
    CC_CHECK_INT(md_dtmf_digit(15), 'D');
    CC_CHECK_INT(md_dtmf_digit(16), 0);
}

/* One key as a phone sends it: updates every 50 ms (400 units), then three end packets. */
static int s_press(md_dtmf_t *d, int event, uint32_t ts, int updates, uint64_t *now,
                   md_dtmf_event_t *all, int *downs)
{
    uint8_t p[4];
    md_dtmf_event_t ev[MD_DTMF_MAX_EVENTS];
    int ups = 0;
    for (int i = 1; i <= updates + 3; i++) {
        bool end = i > updates;
        s_te(p, event, end, 10, (end ? updates : i) * 400);
        int n = md_dtmf_rfc4733(d, ts, p, 4, *now, ev);
        for (int k = 0; k < n; k++) {
            if (ev[k].end)
                all[ups++] = ev[k];
            else
                (*downs)++;
        }
        *now += 50 * MS;
    }
    return ups;
}

CC_TEST(dtmf_rfc4733_once_per_key)
{
    md_dtmf_t d;
    md_dtmf_init(&d);
    uint64_t now = 10000 * MS;
    md_dtmf_event_t ups[8];
    int downs = 0;
    CC_CHECK_INT(s_press(&d, 4, 8000, 4, &now, ups, &downs), 1);
    CC_CHECK_INT(downs, 1);
    CC_CHECK_INT(ups[0].digit, '4');
    CC_CHECK_INT(ups[0].method, MD_DTMF_RFC4733);
    CC_CHECK_INT(ups[0].duration_ms, 200); /* 1600 units at 8 kHz */
    /* the same key again is a new event (new timestamp): counted again */
    downs = 0;
    CC_CHECK_INT(s_press(&d, 4, 16000, 2, &now, ups, &downs), 1);
    CC_CHECK_INT(downs, 1);
    CC_CHECK_INT(ups[0].duration_ms, 100);
    /* a late duplicate of the ended event changes nothing */
    uint8_t p[4];
    md_dtmf_event_t ev[MD_DTMF_MAX_EVENTS];
    s_te(p, 4, false, 10, 400);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 16000, p, 4, now, ev), 0);
    /* an event code that is not DTMF (16: flash) is ignored */
    s_te(p, 16, true, 10, 800);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 24000, p, 4, now, ev), 0);
    CC_CHECK(d.te_seen);
}

CC_TEST(dtmf_rfc4733_end_only_and_lost_end)
{
    md_dtmf_t d;
    md_dtmf_init(&d);
    md_dtmf_event_t ev[MD_DTMF_MAX_EVENTS];
    uint8_t p[4];
    /* only the end packets arrived: down and up at once, still once */
    s_te(p, 11, true, 10, 960);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 100, p, 4, 0, ev), 2);
    CC_CHECK(!ev[0].end && ev[1].end);
    CC_CHECK_INT(ev[1].digit, '#');
    CC_CHECK_INT(ev[1].duration_ms, 120);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 100, p, 4, 0, ev), 0);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 100, p, 4, 0, ev), 0);
    /* key 7 whose end packets are all lost, then key 8: 7 is closed when 8 starts */
    s_te(p, 7, false, 10, 400);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 5000, p, 4, 1000 * MS, ev), 1);
    s_te(p, 7, false, 10, 800);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 5000, p, 4, 1050 * MS, ev), 0);
    s_te(p, 8, false, 10, 400);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 9000, p, 4, 1500 * MS, ev), 2);
    CC_CHECK(ev[0].end && ev[0].digit == '7' && ev[0].duration_ms == 100);
    CC_CHECK(!ev[1].end && ev[1].digit == '8');
    /* key 8 loses its end and audio goes on: closed 300 ms after its last update */
    uint8_t pkt[12 + 160] = {0x80, 0};
    memset(pkt + 12, 0xff, 160);
    CC_CHECK_INT(md_dtmf_packet(&d, 101, pkt, sizeof pkt, 1700 * MS, ev), 0);
    CC_CHECK_INT(md_dtmf_packet(&d, 101, pkt, sizeof pkt, 1900 * MS, ev), 1);
    CC_CHECK(ev[0].end && ev[0].digit == '8' && ev[0].duration_ms == 50);
}

CC_TEST(dtmf_rfc4733_long_event_segments)
{
    md_dtmf_t d;
    md_dtmf_init(&d);
    md_dtmf_event_t ev[MD_DTMF_MAX_EVENTS];
    uint8_t p[4];
    s_te(p, 5, false, 10, 65535);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 1000, p, 4, 0, ev), 1);
    /* RFC 4733 2.5.1.3: the next segment starts where the first ended */
    s_te(p, 5, false, 10, 800);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 1000 + 65535, p, 4, 0, ev), 0);
    s_te(p, 5, true, 10, 1600);
    CC_CHECK_INT(md_dtmf_rfc4733(&d, 1000 + 65535, p, 4, 0, ev), 1);
    CC_CHECK_INT(ev[0].duration_ms, (65535 + 1600) / 8);
}

CC_TEST(dtmf_packet_dispatch)
{
    md_dtmf_t d;
    md_dtmf_init(&d);
    md_dtmf_event_t ev[MD_DTMF_MAX_EVENTS];
    /* RTP with a CSRC and the telephone-event on payload type 96 */
    uint8_t pkt[12 + 4 + 4] = {0x81, 96, 0, 1, 0, 0, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 9};
    s_te(pkt + 16, 3, true, 10, 800);
    CC_CHECK_INT(md_dtmf_packet(&d, 96, pkt, sizeof pkt, 0, ev), 2);
    CC_CHECK_INT(ev[1].digit, '3');
    /* with 101 expected the same packet is neither an event nor G.711: ignored */
    md_dtmf_init(&d);
    CC_CHECK_INT(md_dtmf_packet(&d, 101, pkt, sizeof pkt, 0, ev), 0);
    CC_CHECK(!d.te_seen);
    CC_CHECK_INT(md_dtmf_packet(&d, 101, pkt, 8, 0, ev), 0); /* not even a header */
}

/* ---- in-band ------------------------------------------------------------------------ */

static const float s_low[4] = {697, 770, 852, 941};
static const float s_high[4] = {1209, 1336, 1477, 1633};

typedef struct {
    int16_t *pcm;
    size_t n, cap;
} s_audio_t;

static void s_put(s_audio_t *a, double v)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8000;
        a->pcm = realloc(a->pcm, a->cap * sizeof *a->pcm);
    }
    if (v > 32767)
        v = 32767;
    if (v < -32768)
        v = -32768;
    a->pcm[a->n++] = (int16_t)lrint(v);
}

/* amplitudes as fractions of full scale */
static void s_tones(s_audio_t *a, double f1, double a1, double f2, double a2, int ms)
{
    size_t start = a->n;
    for (int i = 0; i < ms * 8; i++) {
        double t = (double)(start + (size_t)i) / 8000.0;
        s_put(a, 32767.0 * (a1 * sin(2 * M_PI * f1 * t) + a2 * sin(2 * M_PI * f2 * t)));
    }
}

static void s_silence(s_audio_t *a, int ms)
{
    for (int i = 0; i < ms * 8; i++)
        s_put(a, 0);
}

typedef struct {
    int downs, ups;
    char digits[64];
    uint32_t durations[64];
} s_seen_t;

/* Encode the audio as PCMU (or PCMA) packets of 160 samples and run them through. */
static s_seen_t s_run(const s_audio_t *a, int pt)
{
    md_dtmf_t d;
    md_dtmf_init(&d);
    s_seen_t seen = {0};
    uint8_t pkt[12 + 160] = {0x80, (uint8_t)pt};
    md_dtmf_event_t ev[MD_DTMF_MAX_EVENTS];
    for (size_t off = 0; off + 160 <= a->n; off += 160) {
        for (int i = 0; i < 160; i++)
            pkt[12 + i] = pt == 8 ? md_alaw_encode(a->pcm[off + (size_t)i])
                                  : md_ulaw_encode(a->pcm[off + (size_t)i]);
        int n = md_dtmf_packet(&d, 101, pkt, sizeof pkt, off * 125, ev);
        for (int k = 0; k < n; k++) {
            if (!ev[k].end) {
                seen.downs++;
                continue;
            }
            if (seen.ups < 63) {
                seen.digits[seen.ups] = ev[k].digit;
                seen.durations[seen.ups] = ev[k].duration_ms;
            }
            seen.ups++;
        }
    }
    return seen;
}

CC_TEST(dtmf_inband_every_key)
{
    s_audio_t a = {0};
    s_silence(&a, 100);
    for (int r = 0; r < 4; r++) {
        for (int c = 0; c < 4; c++) {
            s_tones(&a, s_low[r], 0.2, s_high[c], 0.25, 100);
            s_silence(&a, 60);
        }
    }
    s_silence(&a, 100);
    for (int pt = 0; pt <= 8; pt += 8) {
        s_seen_t seen = s_run(&a, pt);
        CC_CHECK_INT(seen.ups, 16);
        CC_CHECK_INT(seen.downs, 16);
        CC_CHECK_STR(seen.digits, "123A456B789C*0#D");
        for (int i = 0; i < 16; i++)
            CC_CHECK_NEAR(seen.durations[i], 100, 15);
    }
    free(a.pcm);
}

CC_TEST(dtmf_inband_duration_bounds)
{
    /* 20 ms is too short to count, 50 ms counts; a held key counts once */
    s_audio_t a = {0};
    s_silence(&a, 100);
    s_tones(&a, 852, 0.3, 1336, 0.3, 20);
    s_silence(&a, 100);
    s_seen_t seen = s_run(&a, 0);
    CC_CHECK_INT(seen.ups, 0);
    CC_CHECK_INT(seen.downs, 0);
    for (int offset = 0; offset < 160; offset += 37) { /* at every alignment to blocks */
        a.n = 0;
        s_silence(&a, 100);
        for (int i = 0; i < offset; i++)
            s_put(&a, 0);
        s_tones(&a, 852, 0.3, 1336, 0.3, 45);
        s_silence(&a, 100);
        seen = s_run(&a, 0);
        CC_CHECK_INT(seen.ups, 1);
        CC_CHECK_INT(seen.digits[0], '8');
    }
    a.n = 0;
    s_tones(&a, 941, 0.3, 1477, 0.3, 2000);
    s_silence(&a, 100);
    seen = s_run(&a, 0);
    CC_CHECK_INT(seen.ups, 1);
    CC_CHECK_INT(seen.digits[0], '#');
    CC_CHECK_NEAR(seen.durations[0], 2000, 20);
    free(a.pcm);
}

CC_TEST(dtmf_inband_twist_and_level)
{
    s_audio_t a = {0};
    s_silence(&a, 60);
    s_tones(&a, 770, 0.3, 1209, 0.3 * pow(10, -6.0 / 20), 100); /* 6 dB normal twist: ok */
    s_silence(&a, 60);
    s_tones(&a, 770, 0.3, 1209, 0.3 * pow(10, -12.0 / 20), 100); /* 12 dB: refused */
    s_silence(&a, 60);
    s_tones(&a, 770, 0.3 * pow(10, -7.0 / 20), 1209, 0.3, 100); /* 7 dB reverse: refused */
    s_silence(&a, 60);
    s_tones(&a, 770, 0.005, 1209, 0.005, 100); /* -46 dBFS: too quiet */
    s_silence(&a, 60);
    s_tones(&a, 770, 0.03, 1209, 0.03, 100); /* -30 dBFS: fine */
    s_silence(&a, 60);
    s_seen_t seen = s_run(&a, 0);
    CC_CHECK_INT(seen.ups, 2);
    CC_CHECK_STR(seen.digits, "44");
    free(a.pcm);
}

CC_TEST(dtmf_inband_rejects_noise_tones_and_speech)
{
    s_audio_t a = {0};
    srand(7);
    /* white noise, loud */
    for (int i = 0; i < 8000; i++)
        s_put(&a, (rand() / (double)RAND_MAX - 0.5) * 20000);
    /* a dial tone (350 + 440 Hz), a 440 Hz tone, a single DTMF frequency */
    s_tones(&a, 350, 0.2, 440, 0.2, 500);
    s_tones(&a, 440, 0.4, 440, 0.0, 500);
    s_tones(&a, 697, 0.4, 697, 0.0, 500);
    /* speech-like: a 120 Hz voice with falling harmonics under formants near 700 and 1200
     * Hz, gliding in pitch, which puts energy in both DTMF groups at once */
    for (int i = 0; i < 16000; i++) {
        double t = i / 8000.0, f0 = 120 + 30 * sin(2 * M_PI * 2 * t), v = 0;
        for (int h = 1; h * f0 < 3500; h++) {
            double f = h * f0;
            double gain = 1.0 / h + 0.8 * exp(-pow((f - 700) / 120, 2)) +
                          0.6 * exp(-pow((f - 1250) / 150, 2));
            v += gain * sin(2 * M_PI * f * t + h);
        }
        s_put(&a, v * 3000);
    }
    /* DTMF under strong noise (tone energy well below half): refused too */
    for (int i = 0; i < 800; i++) {
        double t = i / 8000.0;
        s_put(&a, 32767 * (0.05 * sin(2 * M_PI * 697 * t) + 0.05 * sin(2 * M_PI * 1209 * t)) +
                      (rand() / (double)RAND_MAX - 0.5) * 30000);
    }
    s_seen_t seen = s_run(&a, 0);
    CC_CHECK_INT(seen.ups, 0);
    CC_CHECK_INT(seen.downs, 0);
    /* while the same DTMF with mild noise still counts */
    a.n = 0;
    for (int i = 0; i < 800; i++) {
        double t = i / 8000.0;
        s_put(&a, 32767 * (0.2 * sin(2 * M_PI * 697 * t) + 0.2 * sin(2 * M_PI * 1209 * t)) +
                      (rand() / (double)RAND_MAX - 0.5) * 3000);
    }
    s_silence(&a, 60);
    seen = s_run(&a, 0);
    CC_CHECK_INT(seen.ups, 1);
    CC_CHECK_INT(seen.digits[0], '1');
    free(a.pcm);
}

CC_TEST(dtmf_inband_stops_after_rfc4733)
{
    md_dtmf_t d;
    md_dtmf_init(&d);
    md_dtmf_event_t ev[MD_DTMF_MAX_EVENTS];
    uint8_t te[12 + 4] = {0x80, 101};
    s_te(te + 12, 1, true, 10, 800);
    CC_CHECK_INT(md_dtmf_packet(&d, 101, te, sizeof te, 0, ev), 2);
    /* the phone leaves the tone in its audio too: not counted a second time */
    s_audio_t a = {0};
    s_tones(&a, 697, 0.3, 1209, 0.3, 200);
    uint8_t pkt[12 + 160] = {0x80, 0};
    int total = 0;
    for (size_t off = 0; off + 160 <= a.n; off += 160) {
        for (int i = 0; i < 160; i++)
            pkt[12 + i] = md_ulaw_encode(a.pcm[off + (size_t)i]);
        total += md_dtmf_packet(&d, 101, pkt, sizeof pkt, 0, ev);
    }
    CC_CHECK_INT(total, 0);
    free(a.pcm);
}
