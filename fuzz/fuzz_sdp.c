/* fuzz_sdp.c - libFuzzer target: SDP bodies from the network through sipproxy's offer/answer
 * rewriting (sp_sdp_rewrite), a=crypto parsing and the SRTP policy (sp_srtp). Beyond "no
 * crash", a body we accepted must be accepted again once rewritten, pointing at our address
 * and port, and rewritten with our a=crypto lines it must say RTP/SAVP with exactly those:
 * what we send on is always usable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "sp_sdp.h"
#include "sp_srtp.h"

#define S_KEY "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_text(data, size);
    if (!in)
        return 0;
    sp_sdp_info_t info, again;
    const char *why = NULL;
    char *out = sp_sdp_rewrite(in, "192.0.2.7", 30000, &info, &why);
    if (out) {
        char *twice = sp_sdp_rewrite(out, "192.0.2.9", 30002, &again, &why);
        if (!twice || again.port != 30000 || strcmp(again.address, "192.0.2.7") != 0 ||
            again.npts != info.npts)
            abort(); /* our own rewrite must be a body we accept, saying where we listen */
        (void)sp_sdp_codec(&again);
        (void)sp_sdp_te(&again);
        free(twice);
        free(out);
        for (int p = 0; p < 3; p++)
            (void)sp_srtp_answer((sp_srtp_policy_t)p, &info, &why);
        sp_sdp_crypto_t ours[2];
        int n = sp_srtp_lines(S_KEY, info.ncrypto ? &info.crypto[0] : NULL, ours);
        bool best_effort = info.ncrypto > 0 && !info.savp;
        char *secure =
            sp_sdp_rewrite_srtp(in, "192.0.2.7", 30000, ours, n, best_effort, &again, &why);
        sp_sdp_info_t back;
        char *checked = secure ? sp_sdp_rewrite(secure, "192.0.2.9", 30002, &back, &why) : NULL;
        if (!secure || !checked || back.savp == best_effort || back.ncrypto != n ||
            strcmp(back.crypto[0].key, S_KEY) != 0)
            abort(); /* our SRTP answer or offer must carry our crypto, readable */
        free(checked);
        free(secure);
    }
    free(in);
    return 0;
}
