/* vm_menu_test.c - the mailbox menu: PIN tries, counts, listening keys, new PIN,
 * greetings; and vm_audio's caller channel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "vm_audio.h"
#include "vm_menu.h"

static const vm_menu_action_t *s_find(const vm_menu_actions_t *out, vm_menu_act_kind_t kind)
{
    for (size_t i = 0; i < out->n; i++)
        if (out->a[i].kind == kind)
            return &out->a[i];
    return NULL;
}

static void s_keys(vm_menu_t *m, const char *keys, vm_menu_actions_t *out)
{
    for (const char *k = keys; *k; k++)
        vm_menu_digit(m, *k, 1000, out);
}

CC_TEST(vm_menu_own_box_pin_counts_listen)
{
    vm_menu_t m;
    vm_menu_actions_t out = {0};
    vm_menu_start(&m, true, "1001", 0, &out);
    const vm_menu_action_t *a = s_find(&out, VM_MA_LOOKUP);
    CC_CHECK(a != NULL);
    CC_CHECK_STR(a->box, "1001");
    out.n = 0;
    vm_menu_box(&m, true, true, true, 0, &out);
    CC_CHECK_INT(m.state, VM_M_PIN);
    CC_CHECK_STR(s_find(&out, VM_MA_PLAY)->prompts[0], "vm/enter_pin");
    out.n = 0;
    s_keys(&m, "1111#", &out);
    a = s_find(&out, VM_MA_CHECK_PIN);
    CC_CHECK(a != NULL);
    CC_CHECK_STR(a->digits, "1111");
    out.n = 0;
    vm_menu_pin_result(&m, false, false, 0, &out);
    CC_CHECK_INT(m.state, VM_M_PIN);
    CC_CHECK_STR(s_find(&out, VM_MA_PLAY)->prompts[0], "vm/wrong_pin");
    out.n = 0;
    s_keys(&m, "2468#", &out);
    out.n = 0;
    vm_menu_pin_result(&m, true, false, 0, &out);
    CC_CHECK(s_find(&out, VM_MA_LOAD) != NULL);
    out.n = 0;
    int64_t ids[] = {7, 9};
    const char *paths[] = {"/v/msg-7.wav", "/v/msg-9.wav"};
    vm_menu_loaded(&m, 2, ids, paths, 1, 23, 0, &out);
    a = s_find(&out, VM_MA_PLAY);
    CC_CHECK(a && a->barge_in);
    CC_CHECK_STR(a->prompts[1], "num-1");
    CC_CHECK_STR(a->prompts[4], "num-20");
    CC_CHECK_STR(a->prompts[5], "num-3");
    CC_CHECK_STR(a->prompts[a->nprompts - 1], "vm/main_menu");
    out.n = 0;
    s_keys(&m, "1", &out);
    a = s_find(&out, VM_MA_PLAY);
    CC_CHECK_STR(a->prompts[1], "/v/msg-7.wav");
    out.n = 0;
    s_keys(&m, "2", &out); /* save 7, then message 9 */
    CC_CHECK_INT((int)s_find(&out, VM_MA_SAVE)->id, 7);
    a = s_find(&out, VM_MA_PLAY);
    CC_CHECK_STR(a->prompts[0], "vm/saved");
    CC_CHECK_STR(a->prompts[2], "/v/msg-9.wav");
    out.n = 0;
    s_keys(&m, "3", &out); /* delete 9: no more, then back to the counts */
    CC_CHECK_INT((int)s_find(&out, VM_MA_DELETE)->id, 9);
    a = s_find(&out, VM_MA_PLAY);
    CC_CHECK_STR(a->prompts[1], "vm/no_more_messages");
    unsigned play = a->play;
    out.n = 0;
    vm_menu_play_done(&m, play, 2000, &out);
    CC_CHECK(s_find(&out, VM_MA_LOAD) != NULL);
    out.n = 0;
    vm_menu_loaded(&m, 0, ids, paths, 0, 1, 0, &out);
    out.n = 0;
    s_keys(&m, "*", &out);
    a = s_find(&out, VM_MA_PLAY);
    CC_CHECK_STR(a->prompts[0], "goodbye");
    play = a->play;
    out.n = 0;
    vm_menu_play_done(&m, play, 3000, &out);
    CC_CHECK(s_find(&out, VM_MA_HANGUP) != NULL);
}

CC_TEST(vm_menu_any_box_tries_newpin_greeting)
{
    vm_menu_t m;
    vm_menu_actions_t out = {0};
    vm_menu_start(&m, false, "", 0, &out);
    CC_CHECK_INT(m.state, VM_M_BOX);
    out.n = 0;
    vm_menu_digit(&m, '1', 100, &out);
    vm_menu_digit(&m, '0', 200, &out);
    CC_CHECK_INT((int)out.a[out.n - 1].at, 200 + VM_MENU_DIGIT_MS);
    out.n = 0;
    vm_menu_timer(&m, 200 + VM_MENU_DIGIT_MS, &out); /* no #: the number counts */
    CC_CHECK_STR(s_find(&out, VM_MA_LOOKUP)->box, "10");
    out.n = 0;
    vm_menu_box(&m, true, true, false, 0, &out); /* no PIN set: not from another phone */
    CC_CHECK_STR(s_find(&out, VM_MA_PLAY)->prompts[0], "vm/no_mailbox");
    /* three wrong PINs, or a blocked box, end the call */
    vm_menu_start(&m, false, "", 0, &out);
    s_keys(&m, "20#", &out);
    vm_menu_box(&m, true, true, true, 0, &out);
    for (int i = 0; i < VM_MENU_PIN_TRIES; i++) {
        s_keys(&m, "0000#", &out);
        out.n = 0;
        vm_menu_pin_result(&m, false, false, 0, &out);
    }
    CC_CHECK_INT(m.state, VM_M_BYE);
    vm_menu_start(&m, true, "20", 0, &out);
    vm_menu_box(&m, true, true, true, 0, &out);
    s_keys(&m, "1234#", &out);
    out.n = 0;
    vm_menu_pin_result(&m, false, true, 0, &out);
    CC_CHECK_INT(m.state, VM_M_BYE);
    /* own box without PIN required; new PIN; greeting */
    out.n = 0;
    vm_menu_start(&m, true, "20", 0, &out);
    vm_menu_box(&m, true, false, true, 0, &out);
    CC_CHECK(s_find(&out, VM_MA_LOAD) != NULL);
    vm_menu_loaded(&m, 0, NULL, NULL, 0, 0, 0, &out);
    out.n = 0;
    s_keys(&m, "4", &out);
    CC_CHECK_INT(m.state, VM_M_NEWPIN);
    s_keys(&m, "12#", &out);
    CC_CHECK(s_find(&out, VM_MA_SET_PIN) == NULL); /* too short */
    CC_CHECK(s_find(&out, VM_MA_PLAY) != NULL);
    vm_menu_loaded(&m, 0, NULL, NULL, 0, 0, 0, &out);
    s_keys(&m, "4", &out);
    out.n = 0;
    s_keys(&m, "97531#", &out);
    CC_CHECK_STR(s_find(&out, VM_MA_SET_PIN)->digits, "97531");
    vm_menu_loaded(&m, 0, NULL, NULL, 0, 0, 0, &out);
    out.n = 0;
    s_keys(&m, "32", &out); /* greetings, busy: beep, then record */
    const vm_menu_action_t *a = s_find(&out, VM_MA_PLAY);
    unsigned play = out.a[out.n - 2].play;
    CC_CHECK(a != NULL);
    out.n = 0;
    vm_menu_play_done(&m, play, 5000, &out);
    a = s_find(&out, VM_MA_REC_GREET);
    CC_CHECK(a != NULL);
    CC_CHECK_STR(a->greeting, "busy");
    out.n = 0;
    s_keys(&m, "#", &out);
    a = s_find(&out, VM_MA_STOP_GREET);
    CC_CHECK(a && a->keep);
    CC_CHECK_INT(m.state, VM_M_GREET);
}

/* A Mandarin box reads its counts as Mandarin numbers: 23 is "two ten three". */
CC_TEST(vm_menu_counts_in_the_box_language)
{
    vm_menu_t m;
    vm_menu_actions_t out = {0};
    vm_menu_start(&m, true, "1001", 0, &out);
    vm_menu_language(&m, "zh");
    out.n = 0;
    vm_menu_box(&m, true, false, false, 0, &out);
    out.n = 0;
    vm_menu_loaded(&m, 0, NULL, NULL, 23, 0, 0, &out);
    const vm_menu_action_t *a = s_find(&out, VM_MA_PLAY);
    CC_CHECK(a != NULL);
    const char *want[] = {"vm/you_have",     "num-2",  "num-10", "num-3",
                          "vm/new_messages", "vm/and", "num-0",  "vm/saved_messages",
                          "vm/main_menu"};
    CC_CHECK_INT((int)a->nprompts, (int)(sizeof want / sizeof want[0]));
    for (size_t i = 0; i < a->nprompts && i < sizeof want / sizeof want[0]; i++)
        CC_CHECK_STR(a->prompts[i], want[i]);
}

CC_TEST(vm_audio_left_channel)
{
    uint8_t wav[REC_WAV_HDR + 16];
    rec_wav_header(wav, 16);
    int16_t *frames = (int16_t *)(wav + REC_WAV_HDR);
    for (int i = 0; i < 4; i++) {
        frames[2 * i] = (int16_t)(100 + i); /* caller */
        frames[2 * i + 1] = (int16_t)(-7);  /* other party */
    }
    uint8_t *out = NULL;
    size_t len = 0;
    CC_CHECK_INT(vm_wav_left(wav, sizeof wav, &out, &len), 0);
    CC_CHECK_INT((int)len, VM_WAV_HDR + 8);
    CC_CHECK(memcmp(out, "RIFF", 4) == 0 && out[22] == 1);
    int16_t got[4];
    memcpy(got, out + VM_WAV_HDR, sizeof got);
    free(out);
    CC_CHECK(got[0] == 100 && got[3] == 103);
    CC_CHECK_INT(vm_wav_left((const uint8_t *)"nonsense", 8, &out, &len), -1);
}
