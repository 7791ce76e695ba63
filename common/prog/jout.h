/*
 * jout: the suite's one JSON writer.  Every program and command builds its
 * object with jansson (json_pack and friends) from these values and prints
 * it with sf_jout_print(): one compact line, keys in the order they were
 * added, numbers rounded to the decimals a field documents (docs/json.md),
 * and every string valid UTF-8 whatever bytes it came from, so any JSON
 * parser (Python's json.loads included) reads the output.  Escaping is
 * jansson's, in one place.  Part of sockfam_prog: it prints.
 */
#ifndef SF_JOUT_H
#define SF_JOUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A string value from untrusted bytes (s may be NULL: JSON null): bytes
 * that are not UTF-8 become U+FFFD, one per byte, so nothing is dropped
 * silently and the output always parses.
 */
json_t *sf_jstr(const char *s);

/* A number rounded to decimals places (0-9), printed without float noise. */
json_t *sf_jreal(double v, int decimals);

/* An unsigned count (at most 2^63-1, which no counter of ours reaches). */
json_t *sf_juint(uint64_t v);

/*
 * Print v as one line on f and release it (v may be NULL: a json_pack
 * that failed, which only running out of memory can cause).  0, or -1
 * when it could not be built or written.
 */
int sf_jout_print(FILE *f, json_t *v);

#endif
