/* rec_args.c - decoding and checking rec.* command arguments (see rec_args.h). */
#include "rec_args.h"

#include <stdio.h>
#include <string.h>

#include "cc_args.h"

int rec_args_call(json_t *args, const char **call_id, char *err, size_t len)
{
    return cc_args_text(args, "call_id", true, REC_CALL_ID_MAX, call_id, err, len);
}

int rec_args_start(json_t *args, rec_start_args_t *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    json_int_t caller_ep = 0, callee_ep = 0, mix_id = 0;
    if (rec_args_call(args, &out->call_id, err, len) < 0 ||
        cc_args_int(args, "caller_endpoint", false, 1, INT32_MAX, &caller_ep, err, len) < 0 ||
        cc_args_int(args, "callee_endpoint", false, 1, INT32_MAX, &callee_ep, err, len) < 0 ||
        cc_args_int(args, "mix_id", false, 1, UINT32_MAX, &mix_id, err, len) < 0 ||
        cc_args_text(args, "caller", false, SIZE_MAX, &out->caller, err, len) < 0 ||
        cc_args_text(args, "callee", false, SIZE_MAX, &out->callee, err, len) < 0)
        return -1;
    if (mix_id && (caller_ep || callee_ep)) {
        /* a conference is recorded from its mix alone: endpoints too would tap both */
        snprintf(err, len, "give mix_id or endpoints, not both");
        return -1;
    }
    out->caller_ep = (int)caller_ep;
    out->callee_ep = (int)callee_ep;
    out->mix_id = (uint32_t)mix_id;
    return 0;
}
