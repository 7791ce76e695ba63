/* Unit tests for common/repr: Python 2 repr(), byte for byte. */
#include <criterion/criterion.h>
#include <string.h>

#include "repr.h"

TestSuite(repr, .timeout = 10);

struct repr_case {
    const char *in;
    size_t len;
    const char *want; /* what Python 2's repr() prints */
};

static const struct repr_case cases[] = {
    {"echo=> Hello network World", 26, "'echo=> Hello network World'"},
    {"", 0, "''"},
    {"it's", 4, "\"it's\""},
    {"say \"hi\"", 8, "'say \"hi\"'"},
    {"it's \"x\"", 8, "'it\\'s \"x\"'"},
    {"a\\b", 3, "'a\\\\b'"},
    {"\t\n\r", 3, "'\\t\\n\\r'"},
    {"\0\x01\x1f", 3, "'\\x00\\x01\\x1f'"},
    {"\x7f\x80\xff", 3, "'\\x7f\\x80\\xff'"},
    {"~ ", 2, "'~ '"},
};

Test(repr, python2_table)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64];
        size_t n = sf_repr(cases[i].in, cases[i].len, out, sizeof(out));
        cr_expect_str_eq(out, cases[i].want, "case %zu", i);
        cr_expect_eq(n, strlen(cases[i].want));
    }
}

/* Like snprintf: the full length is returned, the output is cut but terminated. */
Test(repr, small_buffer_reports_needed_length)
{
    char out[5];
    size_t n = sf_repr("abcdef", 6, out, sizeof(out));

    cr_expect_eq(n, 8);
    cr_expect_str_eq(out, "'abc");
    cr_expect_eq(sf_repr("abc", 3, NULL, 0), 5);
}

/* Every byte value round-trips to a printable, bounded text. */
Test(repr, all_bytes_printable_and_bounded)
{
    unsigned char all[256];
    char out[SF_REPR_MAX(256)];

    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    size_t n = sf_repr(all, sizeof(all), out, sizeof(out));
    cr_assert_lt(n, sizeof(out));
    for (size_t i = 0; i < n; i++)
        cr_expect(out[i] >= 0x20 && out[i] < 0x7f, "byte %zu is 0x%02x", i, (unsigned char)out[i]);
}

Test(repr, escape_has_no_quotes)
{
    char out[32];

    sf_escape("a'b\0", 4, out, sizeof(out));
    cr_expect_str_eq(out, "a'b\\x00");
}
