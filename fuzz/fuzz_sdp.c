/* fuzz_sdp.c - libFuzzer target: SDP bodies from the network through sipproxy's offer/answer
 * rewriting (sp_sdp_rewrite). Beyond "no crash", a body we accepted must be accepted again
 * once rewritten, pointing at our address and port: what we send on is always usable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
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
    }
    free(in);
    return 0;
}
