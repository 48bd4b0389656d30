/* fuzz_ivr_flow.c - libFuzzer target: IVR flow documents as an administrator (or a web
 * form) hands them to `ccctl ivr load` and ivrd: JSON parsing and the validator
 * (ivr_flow_parse). A flow it accepts must name a start node that exists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "cc_log.h"
#include "ivr_flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    ivr_flow_errors_t errors;
    ivr_flow_t *flow = ivr_flow_parse(text, NULL, &errors);
    if (flow) {
        int start = ivr_flow_start(flow);
        if (start < 0 || (size_t)start >= ivr_flow_node_count(flow))
            abort();
        ivr_flow_t *again = ivr_flow_ref(flow);
        ivr_flow_destroy(&again);
        ivr_flow_destroy(&flow);
    }
    free(text);
    return 0;
}
