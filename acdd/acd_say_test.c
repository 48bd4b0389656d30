/* acd_say_test.c - the prompt lists of queue announcements in English and Mandarin. */
#include <string.h>

#include "acd_say.h"
#include "cc_test.h"

static void s_join(const acd_say_t *say, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < say->count; i++) {
        if (i)
            strncat(buf, " ", len - strlen(buf) - 1);
        const char *name = say->names[i];
        if (!strncmp(name, "numbers/", 8))
            name += 8;
        strncat(buf, name, len - strlen(buf) - 1);
    }
}

static const char *s_num(const char *language, long n)
{
    static char buf[256];
    acd_say_t say = {.count = 0};
    if (acd_say_number(&say, language, n) != 0)
        return "error";
    s_join(&say, buf, sizeof buf);
    return buf;
}

CC_TEST(acd_say_english_numbers)
{
    CC_CHECK_STR(s_num("en", 0), "0");
    CC_CHECK_STR(s_num("en", 7), "7");
    CC_CHECK_STR(s_num("en", 13), "13");
    CC_CHECK_STR(s_num("en", 40), "40");
    CC_CHECK_STR(s_num("en", 47), "40 7");
    CC_CHECK_STR(s_num("en", 305), "3 hundred 5");
    CC_CHECK_STR(s_num("en", 1200), "1 thousand 2 hundred");
    CC_CHECK_STR(s_num("en", -1), "error");
}

CC_TEST(acd_say_mandarin_numbers)
{
    CC_CHECK_STR(s_num("cmn", 0), "0");
    CC_CHECK_STR(s_num("cmn", 10), "10");
    CC_CHECK_STR(s_num("cmn", 15), "10 5");
    CC_CHECK_STR(s_num("zh", 47), "4 10 7");
    CC_CHECK_STR(s_num("cmn", 305), "3 hundred 0 5");
    CC_CHECK_STR(s_num("cmn", 110), "1 hundred 1 10");
    CC_CHECK_STR(s_num("cmn", 2003), "2 thousand 0 3");
}

CC_TEST(acd_say_announcement_pieces)
{
    acd_say_t say;
    char buf[512];
    CC_CHECK_INT(acd_say_announcement(&say, "en", 3, 230), 0);
    s_join(&say, buf, sizeof buf);
    CC_CHECK_STR(buf, "queue/you_are_number 3 queue/in_queue queue/expected_wait 4 "
                      "queue/minutes");
    CC_CHECK_INT(acd_say_announcement(&say, "en", 1, 20), 0);
    s_join(&say, buf, sizeof buf);
    CC_CHECK_STR(buf, "queue/you_are_number 1 queue/in_queue queue/expected_wait 1 "
                      "queue/minute");
    CC_CHECK_INT(acd_say_announcement(&say, "en", 2, -1), 0);
    s_join(&say, buf, sizeof buf);
    CC_CHECK_STR(buf, "queue/you_are_number 2 queue/in_queue");
    CC_CHECK_INT(acd_say_announcement(&say, "en", 0, 10), -1);
}

CC_TEST(acd_say_the_callback_key)
{
    acd_say_t say = {.count = 0};
    CC_CHECK_INT(acd_say_key(&say, '2'), 0);
    CC_CHECK_INT(acd_say_key(&say, '*'), 0);
    CC_CHECK_INT(acd_say_key(&say, '#'), 0);
    CC_CHECK_INT(acd_say_key(&say, 'A'), -1);
    CC_CHECK_INT(acd_say_key(&say, '\0'), -1);
    CC_CHECK_INT(say.count, 3);
    CC_CHECK_STR(say.names[0], "digits/2");
    CC_CHECK_STR(say.names[1], "digits/star");
    CC_CHECK_STR(say.names[2], "digits/hash");
}
