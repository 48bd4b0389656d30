/* vm_core_test.c - leaving a message: greetings per reason, what ends the recording, what
 * is kept. */
#include <stdio.h>

#include "cc_test.h"
#include "vm_core.h"

static vm_box_t s_box(void)
{
    vm_box_t b = {.mailbox = "1001", .max_ms = 60000, .silence_ms = 5000, .min_ms = 1000};
    return b;
}

static const vm_action_t *s_find(const vm_actions_t *out, vm_act_kind_t kind)
{
    for (size_t i = 0; i < out->n; i++)
        if (out->a[i].kind == kind)
            return &out->a[i];
    return NULL;
}

CC_TEST(vm_greeting_per_reason)
{
    vm_box_t b = s_box();
    vm_deposit_t d;
    const char *p[VM_PROMPTS_MAX];
    vm_deposit_init(&d, &b, "noanswer");
    size_t n = vm_greeting(&d, p, VM_PROMPTS_MAX);
    CC_CHECK_INT((int)n, 8); /* person_at 1 0 0 1 is_unavailable leave beep */
    CC_CHECK_STR(p[0], "vm/person_at");
    CC_CHECK_STR(p[1], "digits/1");
    CC_CHECK_STR(p[2], "digits/0");
    CC_CHECK_STR(p[5], "vm/is_unavailable");
    CC_CHECK_STR(p[7], "tones/beep");
    vm_deposit_init(&d, &b, "busy");
    n = vm_greeting(&d, p, VM_PROMPTS_MAX);
    CC_CHECK_STR(p[5], "vm/is_busy");
    /* recorded greetings and name */
    snprintf(b.greeting_busy, sizeof b.greeting_busy, "/g/busy");
    snprintf(b.greeting_name, sizeof b.greeting_name, "/g/name");
    vm_deposit_init(&d, &b, "busy");
    n = vm_greeting(&d, p, VM_PROMPTS_MAX);
    CC_CHECK_INT((int)n, 3);
    CC_CHECK_STR(p[0], "/g/busy");
    vm_deposit_init(&d, &b, "dnd");
    n = vm_greeting(&d, p, VM_PROMPTS_MAX);
    CC_CHECK_INT((int)n, 4);
    CC_CHECK_STR(p[0], "/g/name");
    CC_CHECK_STR(p[1], "vm/is_unavailable");
    vm_box_t q = s_box();
    q.is_queue = true;
    vm_deposit_init(&d, &q, "overflow");
    n = vm_greeting(&d, p, VM_PROMPTS_MAX);
    CC_CHECK_INT((int)n, 3);
    CC_CHECK_STR(p[0], "vm/nobody_available");
    CC_CHECK(vm_reason_ok("unavailable") && vm_reason_ok("closed"));
    CC_CHECK(!vm_reason_ok("because") && !vm_reason_ok(NULL));
}

/* answered -> greeting -> record -> # -> saved prompt -> hang-up */
CC_TEST(vm_deposit_hash_ends_and_keeps)
{
    vm_box_t b = s_box();
    vm_deposit_t d;
    vm_actions_t out = {0};
    vm_deposit_init(&d, &b, "direct");
    vm_deposit_answered(&d, 1000, &out);
    const vm_action_t *a = s_find(&out, VM_ACT_PLAY);
    CC_CHECK(a != NULL);
    unsigned play = a->play;
    CC_CHECK_INT(d.state, VM_D_GREETING);
    out.n = 0;
    vm_deposit_play_done(&d, play + 7, 2000, &out); /* not ours */
    CC_CHECK_INT((int)out.n, 0);
    vm_deposit_play_done(&d, play, 5000, &out);
    CC_CHECK_INT(d.state, VM_D_RECORDING);
    CC_CHECK(s_find(&out, VM_ACT_RECORD) != NULL);
    CC_CHECK_INT((int)s_find(&out, VM_ACT_TIMER)->at, 10000); /* silence first */
    out.n = 0;
    vm_deposit_talking(&d, true, 5500, &out);
    CC_CHECK_INT((int)s_find(&out, VM_ACT_TIMER)->at, 65000); /* talking: only the max */
    out.n = 0;
    vm_deposit_digit(&d, '5', 7000, &out);
    CC_CHECK_INT((int)out.n, 0);
    vm_deposit_digit(&d, '#', 8000, &out);
    a = s_find(&out, VM_ACT_STOP);
    CC_CHECK(a && a->keep && a->duration_ms == 3000);
    CC_CHECK_STR(a->reason, "hash");
    a = s_find(&out, VM_ACT_PLAY);
    CC_CHECK(a != NULL);
    CC_CHECK_STR(a->prompts[0], "vm/message_saved");
    play = a->play;
    out.n = 0;
    vm_deposit_play_done(&d, play, 9000, &out);
    CC_CHECK(s_find(&out, VM_ACT_HANGUP) != NULL);
    CC_CHECK_INT(d.state, VM_D_DONE);
}

CC_TEST(vm_deposit_silence_max_hangup_short)
{
    vm_box_t b = s_box();
    vm_deposit_t d;
    vm_actions_t out = {0};
    /* talk, then 5 s of silence: ends, the quiet tail not counted */
    vm_deposit_init(&d, &b, "busy");
    vm_deposit_answered(&d, 0, &out);
    vm_deposit_play_done(&d, out.a[0].play, 1000, &out);
    out.n = 0;
    vm_deposit_talking(&d, true, 1200, &out);
    vm_deposit_talking(&d, false, 4000, &out);
    CC_CHECK_INT((int)out.a[out.n - 1].at, 9000);
    out.n = 0;
    vm_deposit_timer(&d, 8990, &out); /* early */
    CC_CHECK(s_find(&out, VM_ACT_STOP) == NULL);
    vm_deposit_timer(&d, 9000, &out);
    const vm_action_t *a = s_find(&out, VM_ACT_STOP);
    CC_CHECK(a && a->keep && a->duration_ms == 3000);
    CC_CHECK_STR(a->reason, "silence");
    /* nothing said at all: silence ends it and nothing is kept */
    vm_deposit_init(&d, &b, "busy");
    out.n = 0;
    vm_deposit_answered(&d, 0, &out);
    vm_deposit_play_done(&d, out.a[0].play, 1000, &out);
    out.n = 0;
    vm_deposit_timer(&d, 6000, &out);
    a = s_find(&out, VM_ACT_STOP);
    CC_CHECK(a && !a->keep);
    CC_CHECK_STR(s_find(&out, VM_ACT_PLAY)->prompts[0], "vm/too_short");
    /* max length while talking */
    vm_deposit_init(&d, &b, "busy");
    out.n = 0;
    vm_deposit_answered(&d, 0, &out);
    vm_deposit_play_done(&d, out.a[0].play, 1000, &out);
    vm_deposit_talking(&d, true, 1100, &out);
    out.n = 0;
    vm_deposit_timer(&d, 61000, &out);
    a = s_find(&out, VM_ACT_STOP);
    CC_CHECK(a && a->keep);
    CC_CHECK_STR(a->reason, "max");
    /* hang-up after 0.5 s: discarded, nothing played, done */
    vm_deposit_init(&d, &b, "busy");
    out.n = 0;
    vm_deposit_answered(&d, 0, &out);
    vm_deposit_play_done(&d, out.a[0].play, 1000, &out);
    out.n = 0;
    vm_deposit_hangup(&d, 1500, &out);
    a = s_find(&out, VM_ACT_STOP);
    CC_CHECK(a && !a->keep);
    CC_CHECK(s_find(&out, VM_ACT_PLAY) == NULL);
    CC_CHECK_INT(d.state, VM_D_DONE);
    /* hang-up during the greeting: nothing recorded */
    vm_deposit_init(&d, &b, "busy");
    out.n = 0;
    vm_deposit_answered(&d, 0, &out);
    out.n = 0;
    vm_deposit_hangup(&d, 500, &out);
    CC_CHECK(s_find(&out, VM_ACT_STOP) == NULL);
    /* # during the greeting skips to the beep */
    vm_deposit_init(&d, &b, "busy");
    out.n = 0;
    vm_deposit_answered(&d, 0, &out);
    out.n = 0;
    vm_deposit_digit(&d, '#', 300, &out);
    CC_CHECK(s_find(&out, VM_ACT_STOP_PLAY) != NULL);
    CC_CHECK_STR(s_find(&out, VM_ACT_PLAY)->prompts[0], "tones/beep");
}
