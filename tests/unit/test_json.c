/* Unit tests for common/json: lookups in the suite's own output, and a hostile table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

TestSuite(json, .timeout = 10);

static const char sample[] =
    "{\"program\":\"tcp-client\",\"sent\":3,\"rtt_us\":{\"n\":3,\"p50\":6.6,\"p99\":2.09e1},"
    "\"ok\":true,\"error\":null,\"list\":[1,{\"name\":\"unix-\\u00e9\\n\"},[]],\"e\":{}}";

Test(json, lookups_by_path)
{
    struct sf_json_val v;
    char buf[32];

    cr_assert_eq(sf_json_check(sample, strlen(sample), NULL), 0);
    cr_assert_eq(sf_json_get(sample, strlen(sample), "sent", &v), 1);
    cr_expect_eq(v.type, SF_JSON_NUMBER);
    cr_expect_eq(v.num, 3);
    cr_assert_eq(sf_json_get(sample, strlen(sample), "rtt_us.p99", &v), 1);
    cr_expect_float_eq(v.num, 20.9, 1e-9);
    cr_assert_eq(sf_json_get(sample, strlen(sample), "rtt_us", &v), 1);
    cr_expect_eq(v.type, SF_JSON_OBJECT);
    cr_expect_eq(v.count, 3);
    cr_assert_eq(sf_json_get(sample, strlen(sample), "program", &v), 1);
    cr_expect_eq(sf_json_unescape(&v, buf, sizeof(buf)), 10);
    cr_expect_str_eq(buf, "tcp-client");
    cr_assert_eq(sf_json_get(sample, strlen(sample), "list.1.name", &v), 1);
    sf_json_unescape(&v, buf, sizeof(buf));
    cr_expect_str_eq(buf, "unix-\xc3\xa9\n");
    cr_assert_eq(sf_json_get(sample, strlen(sample), "list.2", &v), 1);
    cr_expect_eq(v.type, SF_JSON_ARRAY);
    cr_expect_eq(v.count, 0);
    cr_assert_eq(sf_json_get(sample, strlen(sample), "ok", &v), 1);
    cr_expect_eq(v.type, SF_JSON_BOOL);
    cr_assert_eq(sf_json_get(sample, strlen(sample), "error", &v), 1);
    cr_expect_eq(v.type, SF_JSON_NULL);
    cr_expect_eq(sf_json_get(sample, strlen(sample), "missing", &v), 0);
    cr_expect_eq(sf_json_get(sample, strlen(sample), "list.7", &v), 0);
    cr_expect_eq(sf_json_get(sample, strlen(sample), "sent.x", &v), 0);
    /* A short buffer: cut, NUL-terminated, the full length returned. */
    cr_assert_eq(sf_json_get(sample, strlen(sample), "program", &v), 1);
    cr_expect_eq(sf_json_unescape(&v, buf, 4), 10);
    cr_expect_str_eq(buf, "tcp");
}

/* Malformed text, and every prefix of the sample: refused, never read past the end. */
Test(json, hostile_table_and_every_prefix)
{
    const char *bad[] = {
        "",
        "{",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "[1,]",
        "01",
        "1.",
        "-",
        "1e",
        "\"\\x\"",
        "\"\\u12\"",
        "\"a\nb\"",
        "tru",
        "{} {}",
        "{'a':1}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"};
    struct sf_json_val v;
    const char *why;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        cr_expect_eq(sf_json_check(bad[i], strlen(bad[i]), &why), -1, "accepted: %s", bad[i]);
        cr_expect_not_null(why, "%s", bad[i]);
        cr_expect_eq(sf_json_get(bad[i], strlen(bad[i]), "a", &v), -1, "%s", bad[i]);
    }
    for (size_t n = 0; n < strlen(sample); n++)
        cr_expect_eq(sf_json_check(sample, n, NULL), -1, "prefix %zu accepted", n);
}

/*
 * Found by fuzz_json: a backslash before a NUL byte passed the check
 * (strchr finds the terminator), and unescaping it read past a string
 * literal.  Both inputs are also kept in fuzz/corpus/json.
 */
Test(json, escaped_nul_is_rejected_and_never_read_past)
{
    static const char a[] = "\"\\\0:]\"", b[] = "\"\\\0\xff\xff\\\\\"";
    struct sf_json_val v = {.type = SF_JSON_STRING, .start = "\\\0x", .len = 3};
    char buf[8];

    cr_expect_eq(sf_json_check(a, sizeof(a) - 1, NULL), -1);
    cr_expect_eq(sf_json_check(b, sizeof(b) - 1, NULL), -1);
    cr_expect_eq(sf_json_unescape(&v, buf, sizeof(buf)), 2);
    cr_expect_eq(buf[0], '\0');
    cr_expect_eq(buf[1], 'x');
}

/*
 * Found by fuzz_json under MemorySanitizer: a number of 64 digits or more
 * passed the check, then failed to read, and sf_json_get() handed back the
 * previous member's value (or garbage).  Now the check and the lookup
 * agree: a long number reads as a number, one past the bound is rejected
 * by both, and every field of a returned value is set.
 */
Test(json, long_numbers_read_or_rejected_never_stale)
{
    char text[1200], digits[700];
    struct sf_json_val v;

    memset(digits, '7', 100);
    digits[100] = '\0';
    snprintf(text, sizeof(text), "{\"a\":1,\"b\":%s}", digits);
    cr_assert_eq(sf_json_get(text, strlen(text), "b", &v), 1);
    cr_expect_eq(v.type, SF_JSON_NUMBER);
    cr_expect_gt(v.num, 7.7e99);
    cr_expect_eq(v.len, 100);
    memset(digits, '7', 600);
    digits[600] = '\0';
    snprintf(text, sizeof(text), "{\"a\":1,\"b\":%s}", digits);
    cr_expect_eq(sf_json_check(text, strlen(text), NULL), -1);
    cr_expect_eq(sf_json_get(text, strlen(text), "b", &v), -1);
    cr_expect_eq(sf_json_get(text, strlen(text), "a", &v), -1, "the text is bad as a whole");
    cr_assert_eq(sf_json_get("\"s\"", 3, "", &v), 1);
    cr_expect_eq(v.count, 0, "a string's count is set");
    cr_expect_eq(v.num, 0);
}
