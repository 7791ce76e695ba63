/* hexdump: tcpdump -X's dump of bytes; see hexdump.h. */
#include "hexdump.h"

/* The hex column: 8 groups of " xxxx", as tcpdump's hexstuff. */
#define HEX_COLUMN (SF_HEXDUMP_WIDTH / 2 * 5)

/* tcpdump's ND_ASCII_ISGRAPH: a space is shown as '.', like any byte it cannot print. */
static char shown(unsigned char b)
{
    return b > 0x20 && b < 0x7f ? (char)b : '.';
}

/* One line: up to 16 bytes at offset off. */
static void line(FILE *f, const unsigned char *p, size_t n, size_t off)
{
    char hex[HEX_COLUMN + 1], ascii[SF_HEXDUMP_WIDTH + 1];
    static const char digits[] = "0123456789abcdef";
    size_t h = 0;

    for (size_t i = 0; i < n; i++) {
        if (i % 2 == 0)
            hex[h++] = ' ';
        hex[h++] = digits[p[i] >> 4];
        hex[h++] = digits[p[i] & 0xf];
        ascii[i] = shown(p[i]);
    }
    hex[h] = '\0';
    ascii[n] = '\0';
    fprintf(f, "\t0x%04zx: %-*s  %s\n", off, HEX_COLUMN, hex, ascii);
}

void sf_hexdump(FILE *f, const void *data, size_t len)
{
    const unsigned char *p = data;

    for (size_t off = 0; off < len; off += SF_HEXDUMP_WIDTH)
        line(f, p + off, len - off < SF_HEXDUMP_WIDTH ? len - off : SF_HEXDUMP_WIDTH, off);
}
