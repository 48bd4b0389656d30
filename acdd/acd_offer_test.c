/* acd_offer_test.c - the screen-pop headers an offer's INVITE carries. */
#include <string.h>

#include "acd_app.h"
#include "cc_test.h"

static const char *s_get(json_t *h, const char *name)
{
    return json_string_value(json_object_get(h, name));
}

CC_TEST(acd_headers_from_the_call_and_its_lookup)
{
    acd_call_t call = {.priority = 90, .enqueued_ms = acd_now_ms() - 4200};
    strcpy(call.queue, "support");
    strcpy(call.caller, "2001");
    call.variables =
        json_pack("{s:s, s:s, s:s}", "name", "Ada Lovelace", "tier", "VIP", "account", "AC-1815");
    json_t *h = acd_call_headers(&call);
    CC_CHECK_STR(s_get(h, "X-CC-Queue"), "support");
    CC_CHECK_STR(s_get(h, "X-CC-Caller"), "2001");
    CC_CHECK_STR(s_get(h, "X-CC-Priority"), "90");
    CC_CHECK_STR(s_get(h, "X-CC-Wait"), "4");
    CC_CHECK_STR(s_get(h, "X-CC-Customer"), "AC-1815");
    CC_CHECK_STR(s_get(h, "X-CC-Tier"), "VIP");
    CC_CHECK(!json_object_get(h, "X-CC-Callback"));
    json_decref(h);
    /* a flow's own customer_id wins over the account column */
    json_object_set_new(call.variables, "customer_id", json_string("C-7"));
    h = acd_call_headers(&call);
    CC_CHECK_STR(s_get(h, "X-CC-Customer"), "C-7");
    json_decref(h);
    json_decref(call.variables);
}

CC_TEST(acd_headers_leave_out_what_cannot_ride_in_sip)
{
    acd_call_t call = {.enqueued_ms = acd_now_ms()};
    strcpy(call.queue, "q");
    strcpy(call.caller, "2002");
    /* a tier with a line break would break the INVITE; non-ASCII is not a safe value */
    call.variables = json_pack("{s:s, s:s}", "tier", "Gold\r\nVia: x", "account", "Zoë-1");
    json_t *h = acd_call_headers(&call);
    CC_CHECK(!json_object_get(h, "X-CC-Tier"));
    CC_CHECK(!json_object_get(h, "X-CC-Customer"));
    CC_CHECK_STR(s_get(h, "X-CC-Queue"), "q");
    json_decref(h);
    json_decref(call.variables);
    /* no variables at all: the fixed headers only */
    call.variables = NULL;
    h = acd_call_headers(&call);
    CC_CHECK(json_object_size(h) == 4);
    json_decref(h);
}
