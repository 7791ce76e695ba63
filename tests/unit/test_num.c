/* Unit tests for common/num: integers and durations, valid and hostile. */
#include <criterion/criterion.h>
#include <string.h>

#include "num.h"

TestSuite(num, .timeout = 10);

struct u64_case {
    const char *text;
    uint64_t min, max;
    int ok;
    uint64_t want;
};

static const struct u64_case u64s[] = {
    {"0", 0, 10, 1, 0},
    {"10", 0, 10, 1, 10},
    {"65535", 1, 65535, 1, 65535},
    {"65536", 1, 65535, 0, 0},
    {"0", 1, 65535, 0, 0},
    {"", 0, 10, 0, 0},
    {"-1", 0, 10, 0, 0},
    {"+1", 0, 10, 0, 0},
    {" 1", 0, 10, 0, 0},
    {"1 ", 0, 10, 0, 0},
    {"1x", 0, 10, 0, 0},
    {"0x10", 0, 100, 0, 0},
    {"18446744073709551615", 0, UINT64_MAX, 1, UINT64_MAX},
    {"18446744073709551616", 0, UINT64_MAX, 0, 0},
    {"99999999999999999999999999", 0, UINT64_MAX, 0, 0},
};

Test(num, u64_table)
{
    for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
        struct sf_err err;
        uint64_t v = 12345;
        int rc = sf_parse_u64(&err, "n", u64s[i].text, u64s[i].min, u64s[i].max, &v);
        cr_expect_eq(rc, u64s[i].ok ? 0 : -1, "'%s'", u64s[i].text);
        if (u64s[i].ok)
            cr_expect_eq(v, u64s[i].want, "'%s'", u64s[i].text);
        else
            cr_expect(strstr(err.msg, "invalid n") || strstr(err.msg, "empty"), "%s", err.msg);
    }
}

struct sec_case {
    const char *text;
    int ok;
    int64_t ms;
};

static const struct sec_case secs[] = {
    {"5", 1, 5000}, {"0.5", 1, 500},    {"2.25", 1, 2250}, {".5", 1, 500},
    {"0", 1, 0},    {"1.001", 1, 1001}, {"5.", 1, 5000},   {"1.0001", 0, 0},
    {"", 0, 0},     {".", 0, 0},        {"-1", 0, 0},      {"1e3", 0, 0},
    {"1..2", 0, 0}, {"abc", 0, 0},      {"86401", 0, 0},   {"99999999999999999999", 0, 0},
};

Test(num, seconds_table)
{
    for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
        struct sf_err err;
        int64_t ms = -7;
        int rc = sf_parse_seconds(&err, "--timeout", secs[i].text, 86400 * 1000, &ms);
        cr_expect_eq(rc, secs[i].ok ? 0 : -1, "'%s'", secs[i].text);
        if (secs[i].ok)
            cr_expect_eq(ms, secs[i].ms, "'%s' gave %lld", secs[i].text, (long long)ms);
    }
}
