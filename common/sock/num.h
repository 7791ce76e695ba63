/*
 * num: numbers from text (options, address ports), with range checks.
 *
 * Every parser rejects instead of guessing: an empty string, a sign, spaces,
 * trailing garbage, a value outside [min, max] all fail with a message in
 * err (kind SF_ERR_INVALID) that quotes the text and states the range.
 */
#ifndef SF_NUM_H
#define SF_NUM_H

#include <stdint.h>

#include "err.h"

/*
 * Parse a decimal unsigned integer in [min, max] into *out.  `what` names
 * the value in the message ("port", "--count").  Returns 0 or -1.
 */
int sf_parse_u64(struct sf_err *err, const char *what, const char *text, uint64_t min, uint64_t max,
                 uint64_t *out);

/*
 * Parse a duration in seconds, "5", "0.25" or "2.5" (at most millisecond
 * precision, at most max_ms), into milliseconds.  Returns 0 or -1.
 */
int sf_parse_seconds(struct sf_err *err, const char *what, const char *text, int64_t max_ms,
                     int64_t *out_ms);

#endif
