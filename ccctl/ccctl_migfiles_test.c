/* ccctl_migfiles_test.c - which names are migrations, and the order rules. */
#include "cc_test.h"
#include "ccctl_migfiles.h"

CC_TEST(migration_names)
{
    int v = 0;
    char err[256];
    CC_CHECK_INT(ccctl_migration_parse_name("001_initial.sql", &v, err, sizeof err), 1);
    CC_CHECK_INT(v, 1);
    CC_CHECK_INT(ccctl_migration_parse_name("012_queue-log.sql", &v, err, sizeof err), 1);
    CC_CHECK_INT(v, 12);
    CC_CHECK_INT(ccctl_migration_parse_name("README.md", &v, err, sizeof err), 0);
    CC_CHECK_INT(ccctl_migration_parse_name("001_initial.sql~", &v, err, sizeof err), 0);
    CC_CHECK_INT(ccctl_migration_parse_name(".001_x.sql", &v, err, sizeof err), 0);
    CC_CHECK_INT(ccctl_migration_parse_name("initial.sql", &v, err, sizeof err), -1);
    CC_CHECK_STR(err, "initial.sql: does not start with a version number (1-6 digits)");
    CC_CHECK_INT(ccctl_migration_parse_name("001.sql", &v, err, sizeof err), -1);
    CC_CHECK_INT(ccctl_migration_parse_name("001_.sql", &v, err, sizeof err), -1);
    CC_CHECK_INT(ccctl_migration_parse_name("000_zero.sql", &v, err, sizeof err), -1);
    CC_CHECK_INT(ccctl_migration_parse_name("002_two words.sql", &v, err, sizeof err), -1);
    CC_CHECK_INT(ccctl_migration_parse_name("0000001_x.sql", &v, err, sizeof err), -1);
}

CC_TEST(migrations_sort_numerically_not_by_text)
{
    ccctl_migration_t list[] = {{10, "10_ten.sql"},   {2, "2_two.sql"},  {1, "1_one.sql"},
                                {3, "003_three.sql"}, {4, "4_four.sql"}, {5, "5.sql"},
                                {6, "6.sql"},         {7, "7.sql"},      {8, "8.sql"},
                                {9, "9.sql"}};
    char err[256] = "";
    CC_CHECK_INT(ccctl_migrations_order(list, 10, err, sizeof err), 0);
    for (int i = 0; i < 10; i++)
        CC_CHECK_INT(list[i].version, i + 1);
    CC_CHECK_STR(list[9].file, "10_ten.sql");
}

CC_TEST(migrations_refuse_gaps_and_repeats)
{
    char err[256];
    ccctl_migration_t gap[] = {{3, "003_c.sql"}, {1, "001_a.sql"}};
    CC_CHECK_INT(ccctl_migrations_order(gap, 2, err, sizeof err), -1);
    CC_CHECK_STR(err, "migration 2 is missing (after 001_a.sql)");
    ccctl_migration_t twice[] = {{1, "001_a.sql"}, {2, "002_b.sql"}, {2, "002_c.sql"}};
    CC_CHECK_INT(ccctl_migrations_order(twice, 3, err, sizeof err), -1);
    CC_CHECK(strstr(err, "two migrations with version 2") != NULL);
    ccctl_migration_t late[] = {{2, "002_b.sql"}};
    CC_CHECK_INT(ccctl_migrations_order(late, 1, err, sizeof err), -1);
    CC_CHECK_STR(err, "migration 1 is missing (the first is 002_b.sql)");
    CC_CHECK_INT(ccctl_migrations_order(NULL, 0, err, sizeof err), 0);
}
