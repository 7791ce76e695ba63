/*
 * hexdump: bytes as `tcpdump -X` shows a packet, for a client's --hex:
 * one line per 16 bytes, "\t0x0000:  4865 6c6c 6f0a  Hello.", that is a
 * tab, the offset, eight groups of two bytes in hex, and the same bytes
 * as ASCII, with '.' for every byte that is not a printable character
 * other than the space (isgraph in the C locale, as tcpdump prints them).
 * The hex of a short last line is padded so its ASCII column lines up
 * with the lines above.  Nothing is printed for no bytes.  The bytes
 * are untrusted (a server's reply): none of them reaches the output as
 * itself unless it is printable ASCII.  Part of sockfam_prog: it prints.
 */
#ifndef SF_HEXDUMP_H
#define SF_HEXDUMP_H

#include <stddef.h>
#include <stdio.h>

/* Bytes per line of the dump. */
#define SF_HEXDUMP_WIDTH 16

/* Write the dump of data[0..len) to f, one '\n'-ended line per 16 bytes. */
void sf_hexdump(FILE *f, const void *data, size_t len);

#endif
