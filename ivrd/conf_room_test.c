/* conf_room_test.c - the conference room's rules without a socket: PINs, waiting for the
 * moderator, lock, size, keys, kick, and a room that empties starting afresh. */
#include <stdio.h>
#include <string.h>

#include "cc_test.h"
#include "conf_room.h"

#define T0 1000000

static conf_actions_t s_out;
static char s_text[8192];

static const char *s_fmt(void)
{
    conf_actions_format(&s_out, s_text, sizeof s_text);
    return s_text;
}

static conf_room_t *s_room(const char *pin, const char *mod, int max)
{
    conf_room_cfg_t cfg = {.max_members = max};
    snprintf(cfg.name, sizeof cfg.name, "board");
    snprintf(cfg.pin, sizeof cfg.pin, "%s", pin);
    snprintf(cfg.moderator_pin, sizeof cfg.moderator_pin, "%s", mod);
    return conf_room_new(&cfg);
}

/* Keys one by one; the actions of the last. */
static void s_keys(conf_room_t *r, int member, const char *keys, int64_t now)
{
    for (const char *k = keys; *k; k++)
        conf_room_digit(r, member, *k, now, &s_out);
}

static unsigned s_last_play(void)
{
    for (size_t i = s_out.n; i-- > 0;)
        if (s_out.a[i].kind == CONF_ACT_PLAY)
            return s_out.a[i].play;
    return 0;
}

CC_TEST(conf_open_room_first_and_second)
{
    conf_room_t *r = s_room("", "", 0);
    CC_CHECK_INT(conf_room_arrive(r, "c1", "1001", T0, &s_out), 1);
    CC_CHECK_STR(s_fmt(), "timer 1 0\njoin 1\nplay 1 [tones/join,conf/first]\njoined 1\n");
    CC_CHECK_INT(conf_room_arrive(r, "c2", "1002", T0, &s_out), 2);
    CC_CHECK_STR(s_fmt(), "timer 2 0\njoin 2\nplay 2 [tones/join]\njoined 2\n");
    CC_CHECK_INT(conf_room_count(r), 2);
    CC_CHECK_STR(conf_member_state_name(conf_room_member(r, 2)->state), "in");
    conf_room_gone(r, 1, NULL, &s_out);
    CC_CHECK_STR(s_fmt(), "left 1 hangup\n");
    CC_CHECK_INT(conf_room_count(r), 1);
    conf_room_destroy(&r);
    CC_CHECK(r == NULL);
}

CC_TEST(conf_wrong_pin_three_times_is_refused)
{
    conf_room_t *r = s_room("1234", "", 0);
    conf_room_arrive(r, "c1", "1001", T0, &s_out);
    CC_CHECK_STR(s_fmt(), "play 1 [conf/enter_pin] barge\ntimer 1 1018000\n");
    unsigned play = s_last_play();
    conf_room_prompt_done(r, 1, play, T0 + 3000, &s_out);
    CC_CHECK_STR(s_fmt(), "timer 1 1011000\n");
    s_keys(r, 1, "99", T0 + 4000);
    CC_CHECK_STR(s_fmt(), "timer 1 1012000\n");
    conf_room_digit(r, 1, '#', T0 + 5000, &s_out);
    CC_CHECK_STR(s_fmt(), "timer 1 0\nplay 1 [conf/wrong_pin,conf/enter_pin] barge\n");
    /* keys during the prompt stop it (barge-in); a too long entry is wrong too */
    s_keys(r, 1, "12345#", T0 + 6000);
    CC_CHECK_STR(s_fmt(), "timer 1 0\nplay 1 [conf/wrong_pin,conf/enter_pin] barge\n");
    CC_CHECK_INT(conf_room_member(r, 1)->tries, 2);
    /* the third try: nothing entered before the timer */
    conf_room_timer(r, 1, T0 + 20000, &s_out);
    CC_CHECK_STR(s_fmt(), "timer 1 1035000\nplay 1 [conf/wrong_pin,goodbye]\n");
    CC_CHECK_STR(conf_member_state_name(conf_room_member(r, 1)->state), "leaving");
    conf_room_prompt_done(r, 1, s_last_play(), T0 + 23000, &s_out);
    CC_CHECK_STR(s_fmt(), "hangup 1 wrong_pin\n");
    conf_room_gone(r, 1, NULL, &s_out);
    CC_CHECK_STR(s_fmt(), ""); /* never joined: no conf.left */
    CC_CHECK_INT(conf_room_slots(r), 0);
    conf_room_destroy(&r);
}

CC_TEST(conf_right_pin_after_a_wrong_one)
{
    conf_room_t *r = s_room("1234", "", 0);
    conf_room_arrive(r, "c1", "1001", T0, &s_out);
    s_keys(r, 1, "1111#", T0 + 1000);
    s_keys(r, 1, "1*1234", T0 + 2000); /* * starts the entry again */
    conf_room_digit(r, 1, '#', T0 + 3000, &s_out);
    CC_CHECK_STR(s_fmt(), "timer 1 0\njoin 1\nplay 1 [tones/join,conf/first]\njoined 1\n");
    CC_CHECK(!conf_room_member(r, 1)->moderator);
    conf_room_destroy(&r);
}

CC_TEST(conf_waiting_for_the_moderator)
{
    conf_room_t *r = s_room("1234", "9999", 0);
    conf_room_arrive(r, "c1", "1001", T0, &s_out);
    s_keys(r, 1, "1234#", T0 + 1000);
    CC_CHECK_STR(s_fmt(), "timer 1 0\nplay 1 [conf/wait_moderator]\njoined 1\n");
    conf_room_prompt_done(r, 1, s_last_play(), T0 + 4000, &s_out);
    CC_CHECK_STR(s_fmt(), "play 1 [music/default] loop\n");
    conf_room_digit(r, 1, '6', T0 + 5000, &s_out); /* keys do nothing while waiting */
    CC_CHECK_STR(s_fmt(), "");
    conf_room_arrive(r, "c2", "1002", T0 + 6000, &s_out);
    s_keys(r, 2, "9999#", T0 + 7000);
    CC_CHECK_STR(s_fmt(), "timer 2 0\njoin 2\nplay 2 [tones/join]\njoined 2\n"
                          "stop 1\njoin 1\nplay 1 [tones/join]\n");
    CC_CHECK(conf_room_member(r, 2)->moderator);
    /* the moderator leaves: the room goes on, and newcomers go straight in */
    conf_room_gone(r, 2, NULL, &s_out);
    CC_CHECK_STR(s_fmt(), "left 2 hangup\n");
    conf_room_arrive(r, "c3", "1003", T0 + 8000, &s_out);
    s_keys(r, 3, "1234#", T0 + 9000);
    CC_CHECK_STR(s_fmt(), "timer 3 0\njoin 3\nplay 3 [tones/join]\njoined 3\n");
    /* once empty, it waits for a moderator again */
    conf_room_gone(r, 1, NULL, &s_out);
    conf_room_gone(r, 3, NULL, &s_out);
    conf_room_arrive(r, "c4", "1004", T0 + 10000, &s_out);
    s_keys(r, 4, "1234#", T0 + 11000);
    CC_CHECK_STR(s_fmt(), "timer 4 0\nplay 4 [conf/wait_moderator]\njoined 4\n");
    conf_room_destroy(&r);
}

CC_TEST(conf_only_a_moderator_pin)
{
    conf_room_t *r = s_room("", "77", 0);
    conf_room_arrive(r, "c1", "1001", T0, &s_out);
    CC_CHECK_STR(s_fmt(), "play 1 [conf/enter_pin] barge\ntimer 1 1018000\n");
    conf_room_digit(r, 1, '#', T0 + 1000, &s_out); /* no PIN: a participant */
    CC_CHECK_STR(s_fmt(), "stop 1\ntimer 1 0\nplay 1 [conf/wait_moderator]\njoined 1\n");
    conf_room_destroy(&r);
}

CC_TEST(conf_lock_and_full)
{
    conf_room_t *r = s_room("", "", 2);
    conf_room_arrive(r, "c1", "1001", T0, &s_out);
    conf_room_arrive(r, "c2", "1002", T0, &s_out);
    conf_room_arrive(r, "c3", "1003", T0, &s_out);
    CC_CHECK_STR(s_fmt(), "timer 3 1015000\nplay 3 [conf/full,goodbye]\n");
    conf_room_prompt_done(r, 3, s_last_play(), T0 + 2000, &s_out);
    CC_CHECK_STR(s_fmt(), "hangup 3 full\n");
    conf_room_gone(r, 3, NULL, &s_out);
    CC_CHECK_INT(conf_room_lock(r, true, "admin", &s_out), 0);
    CC_CHECK_STR(s_fmt(), "locked 0 on by admin\n");
    conf_room_gone(r, 2, NULL, &s_out);
    conf_room_arrive(r, "c4", "1004", T0, &s_out);
    CC_CHECK_STR(s_fmt(), "timer 4 1015000\nplay 4 [conf/locked,goodbye]\n");
    conf_room_gone(r, 4, NULL, &s_out);
    /* the last one leaves: the room unlocks itself */
    conf_room_gone(r, 1, NULL, &s_out);
    CC_CHECK_STR(s_fmt(), "left 1 hangup\nlocked 0 off by empty\n");
    CC_CHECK_INT(conf_room_lock(r, true, "admin", &s_out), -1); /* nobody in it */
    conf_room_destroy(&r);
}

CC_TEST(conf_keys_mute_lock_mute_all)
{
    conf_room_t *r = s_room("", "55", 0);
    conf_room_arrive(r, "c1", "1001", T0, &s_out);
    s_keys(r, 1, "55#", T0);
    conf_room_arrive(r, "c2", "1002", T0, &s_out);
    conf_room_digit(r, 2, '#', T0, &s_out);
    conf_room_arrive(r, "c3", "1003", T0, &s_out);
    conf_room_digit(r, 3, '#', T0, &s_out);
    s_keys(r, 2, "*6", T0);
    CC_CHECK_STR(s_fmt(), "mute 2 muted\nmuted 2 on by self\nplay 2 [conf/muted]\n");
    conf_room_digit(r, 2, '6', T0, &s_out);
    CC_CHECK_STR(s_fmt(), "mute 2\nmuted 2 off by self\nplay 2 [conf/unmuted]\n");
    conf_room_digit(r, 2, '7', T0, &s_out); /* not a moderator */
    CC_CHECK_STR(s_fmt(), "");
    conf_room_digit(r, 1, '7', T0, &s_out);
    CC_CHECK_STR(s_fmt(), "locked 0 on by moderator\nplay 1 [conf/room_locked]\n");
    conf_room_digit(r, 1, '8', T0, &s_out);
    CC_CHECK_STR(s_fmt(), "mute 2 muted\nmuted 2 on by moderator\nmute 3 muted\n"
                          "muted 3 on by moderator\nplay 1 [conf/all_muted]\n");
    conf_room_digit(r, 3, '6', T0, &s_out); /* each may speak again */
    CC_CHECK_STR(s_fmt(), "mute 3\nmuted 3 off by self\nplay 3 [conf/unmuted]\n");
    /* a moderator still gets into the locked room */
    conf_room_arrive(r, "c4", "1004", T0, &s_out);
    s_keys(r, 4, "55#", T0);
    CC_CHECK_STR(s_fmt(), "timer 4 0\njoin 4\nplay 4 [tones/join]\njoined 4\n");
    conf_room_destroy(&r);
}

CC_TEST(conf_console_kick_mute_find)
{
    conf_room_t *r = s_room("", "", 0);
    conf_room_arrive(r, "call-a", "1001", T0, &s_out);
    conf_room_arrive(r, "call-b", "5551234", T0, &s_out);
    CC_CHECK_INT(conf_room_find(r, "2"), 2);
    CC_CHECK_INT(conf_room_find(r, "5551234"), 2);
    CC_CHECK_INT(conf_room_find(r, "call-a"), 1);
    CC_CHECK_INT(conf_room_find(r, "7"), -1);
    CC_CHECK_INT(conf_room_find(r, ""), -1);
    CC_CHECK_INT(conf_room_mute(r, 1, true, "admin", &s_out), 0);
    CC_CHECK_STR(s_fmt(), "mute 1 muted\nmuted 1 on by admin\n");
    CC_CHECK_INT(conf_room_mute(r, 1, true, "admin", &s_out), 0); /* already: nothing */
    CC_CHECK_STR(s_fmt(), "");
    CC_CHECK_INT(conf_room_mute(r, 9, true, "admin", &s_out), -1);
    CC_CHECK_INT(conf_room_kick(r, 2, T0, &s_out), 0);
    CC_CHECK_STR(s_fmt(), "stop 2\ntimer 2 1015000\nhangup 2 kicked\n");
    conf_room_gone(r, 2, "hangup", &s_out);
    CC_CHECK_STR(s_fmt(), "left 2 kicked\n");
    CC_CHECK_INT(conf_room_kick(r, 2, T0, &s_out), -1);
    /* a hang-up never reported: the timer forgets the member */
    conf_room_kick(r, 1, T0, &s_out);
    conf_room_timer(r, 1, T0 + 15000, &s_out);
    CC_CHECK_STR(s_fmt(), "hangup 1 kicked\nleft 1 kicked\n");
    CC_CHECK_INT(conf_room_slots(r), 0);
    conf_room_destroy(&r);
}

CC_TEST(conf_stale_prompt_done_is_ignored)
{
    conf_room_t *r = s_room("1", "", 0);
    conf_room_arrive(r, "c1", "1001", T0, &s_out);
    unsigned first = s_last_play();
    s_keys(r, 1, "2#", T0 + 100); /* wrong: a new prompt */
    conf_room_prompt_done(r, 1, first, T0 + 200, &s_out);
    CC_CHECK_STR(s_fmt(), "");
    conf_room_prompt_done(r, 1, s_last_play() + 1, T0 + 200, &s_out);
    CC_CHECK_STR(s_fmt(), "");
    conf_room_destroy(&r);
}
