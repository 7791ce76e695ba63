/*
 * repr: the only way the suite prints bytes that came off the network.
 *
 * sf_repr() quotes like Python 2's repr() of a str, so output matches the
 * tutorial's transcript: single quotes (double quotes when the bytes hold a
 * ' and no "), backslash escapes for \\ \t \n \r and the quote, and \xNN
 * (lower-case hex) for every other byte below 0x20 or above 0x7e.  Nothing
 * raw ever reaches a terminal.
 *
 * Both functions work like snprintf: they write at most cap bytes including
 * the NUL and return the length the whole text needs, so a caller can size a
 * buffer exactly and never prints a silently cut text.
 */
#ifndef SF_REPR_H
#define SF_REPR_H

#include <stddef.h>

/* The length sf_repr() needs for len input bytes, at most (4 * len + 2). */
#define SF_REPR_MAX(len) (4 * (len) + 3)

size_t sf_repr(const void *data, size_t len, char *out, size_t cap);

/* As sf_repr() without the surrounding quotes (for names inside messages). */
size_t sf_escape(const void *data, size_t len, char *out, size_t cap);

#endif
