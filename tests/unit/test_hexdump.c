/*
 * Unit tests for common/prog/hexdump: the dump of a client's --hex, byte
 * for byte as tcpdump -X prints a packet (checked against tcpdump 4.99
 * reading the same bytes from a .pcap): offsets, groups of two bytes,
 * the ASCII column aligned under a short last line, '.' for the space and
 * for every byte that is not printable ASCII.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexdump.h"

TestSuite(hexdump, .timeout = 10);

/* The dump of data[0..len) as a string (the caller frees it). */
static char *dump(const void *data, size_t len)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);

    cr_assert_not_null(f);
    sf_hexdump(f, data, len);
    cr_assert_eq(fclose(f), 0);
    return out;
}

/* Letters, for lines easy to read: the bytes the length cases dump. */
static const unsigned char counting[] = {
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q',
    'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'A', 'B', 'C', 'D', 'E', 'F', 'G',
};

struct hex_case {
    size_t len; /* of counting[] */
    const char *want;
};

static const struct hex_case lengths[] = {
    {0, ""},
    {1, "\t0x0000:  61                                       a\n"},
    {15, "\t0x0000:  6162 6364 6566 6768 696a 6b6c 6d6e 6f    abcdefghijklmno\n"},
    {16, "\t0x0000:  6162 6364 6566 6768 696a 6b6c 6d6e 6f70  abcdefghijklmnop\n"},
    {17, "\t0x0000:  6162 6364 6566 6768 696a 6b6c 6d6e 6f70  abcdefghijklmnop\n"
         "\t0x0010:  71                                       q\n"},
    {33, "\t0x0000:  6162 6364 6566 6768 696a 6b6c 6d6e 6f70  abcdefghijklmnop\n"
         "\t0x0010:  7172 7374 7576 7778 797a 4142 4344 4546  qrstuvwxyzABCDEF\n"
         "\t0x0020:  47                                       G\n"},
};

/* 0, 1, 15, 16, 17 and 33 bytes: no line, one short, one full, a full and a short... */
Test(hexdump, lengths_table)
{
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        char *got = dump(counting, lengths[i].len);
        cr_expect_str_eq(got, lengths[i].want, "%zu bytes", lengths[i].len);
        free(got);
    }
}

/* Controls, the space, DEL and bytes >= 0x80 show as '.', and '~' and '!' as themselves. */
Test(hexdump, non_printables_are_dots)
{
    static const unsigned char b[] = {0x00, 0x09, 0x0a, 0x1f, 0x20, 0x21, 0x7e, 0x7f,
                                      0x80, 0xc3, 0xa9, 0xff, 'o',  'k',  0x0d};
    char *got = dump(b, sizeof(b));

    cr_expect_str_eq(got, "\t0x0000:  0009 0a1f 2021 7e7f 80c3 a9ff 6f6b 0d    .....!~.....ok.\n");
    free(got);
}

/* Past 64 KiB the offset takes the digits it needs, as tcpdump's %04x does. */
Test(hexdump, offsets_past_64k_grow)
{
    size_t len = 65536 + 1;
    unsigned char *b = calloc(1, len);
    cr_assert_not_null(b);
    b[65536] = 'Z';
    char *got = dump(b, len);
    const char *last = strrchr(got, '\t');

    cr_expect_str_eq(last, "\t0x10000:  5a                                       Z\n");
    cr_expect_eq(strlen(got), 4096 * 68 + strlen(last), "every full line 68 characters");
    free(got);
    free(b);
}
