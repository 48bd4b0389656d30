/* sp_park_test.c - the park lot: numbers, first free slot, lookups, release. */
#include "sp_park.h"

#include <string.h>

#include "cc_test.h"

CC_TEST(park_init_checks_numbers)
{
    sp_park_t p;
    CC_CHECK(sp_park_init(&p, "700", 701, 20) == 0);
    CC_CHECK(sp_park_is_park_number(&p, "700"));
    CC_CHECK(!sp_park_is_park_number(&p, "7000"));
    CC_CHECK(!sp_park_is_park_number(&p, NULL));
    CC_CHECK(sp_park_init(&p, "705", 701, 20) < 0);  /* the park number is a slot */
    CC_CHECK(sp_park_init(&p, "7a0", 701, 20) < 0);  /* not digits */
    CC_CHECK(sp_park_init(&p, "700", 701, 0) < 0);   /* no slots */
    CC_CHECK(sp_park_init(&p, "700", 701, 101) < 0); /* too many */
    CC_CHECK(sp_park_init(&p, "700", 5, 3) < 0);     /* slots of one digit */
    CC_CHECK(sp_park_init(&p, "9", 701, 3) < 0);     /* park number of one digit */
}

CC_TEST(park_slot_numbers)
{
    sp_park_t p;
    CC_CHECK(sp_park_init(&p, "700", 701, 20) == 0);
    CC_CHECK(sp_park_slot_number(&p, "701") == 701);
    CC_CHECK(sp_park_slot_number(&p, "720") == 720);
    CC_CHECK(sp_park_slot_number(&p, "721") == -1);
    CC_CHECK(sp_park_slot_number(&p, "700") == -1);
    CC_CHECK(sp_park_slot_number(&p, "0701") == -1);
    CC_CHECK(sp_park_slot_number(&p, "70a") == -1);
    CC_CHECK(sp_park_slot_number(&p, "") == -1);
    CC_CHECK(sp_park_slot_number(&p, NULL) == -1);
}

CC_TEST(park_first_free_slot_and_release)
{
    sp_park_t p;
    CC_CHECK(sp_park_init(&p, "700", 701, 3) == 0);
    CC_CHECK(sp_park_take(&p, "c1", "1001", 1000) == 701);
    CC_CHECK(sp_park_take(&p, "c1", "1001", 1000) == -1); /* parked already */
    CC_CHECK(sp_park_take(&p, "c2", "1002", 2000) == 702);
    CC_CHECK(sp_park_take(&p, "c3", "", 3000) == 703);
    CC_CHECK(sp_park_take(&p, "c4", "1004", 4000) == -1); /* full */
    CC_CHECK(sp_park_used(&p) == 3);
    const sp_park_slot_t *s = sp_park_at(&p, 702);
    CC_CHECK(s && strcmp(s->call_id, "c2") == 0 && strcmp(s->parker, "1002") == 0);
    CC_CHECK(s->parked_ms == 2000);
    CC_CHECK(sp_park_of_call(&p, "c3")->number == 703);
    CC_CHECK(sp_park_release(&p, "c2") == 702);
    CC_CHECK(sp_park_release(&p, "c2") == -1);
    CC_CHECK(sp_park_at(&p, 702) == NULL);
    CC_CHECK(sp_park_at(&p, 799) == NULL);
    CC_CHECK(sp_park_take(&p, "c4", "1004", 4000) == 702); /* the freed slot, lowest first */
    CC_CHECK(sp_park_used(&p) == 3);
    CC_CHECK(sp_park_take(&p, "", "1004", 4000) == -1);
}

CC_TEST(park_time_left)
{
    CC_CHECK(sp_park_left_ms(1000, 60, 1000) == 60000);
    CC_CHECK(sp_park_left_ms(1000, 60, 31000) == 30000);
    CC_CHECK(sp_park_left_ms(1000, 60, 61000) == 0);
    CC_CHECK(sp_park_left_ms(1000, 60, 99000) == 0);
}
