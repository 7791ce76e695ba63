/*
 * lines: a client's MESSAGE '-', the lines of standard input (or of any
 * descriptor) one at a time, as nc users expect, without ever holding
 * more than one line and one read ahead: a run of a million lines costs
 * what one does.  A line is its bytes up to its '\n', not included (a
 * '\r' before it, a NUL within it, are bytes of the line); the last line
 * may lack its '\n'.  A line longer than the reader's bound is an error
 * naming its number, never cut into pieces or silently shortened.  The
 * reader owns its buffer; a line returned stays valid until the next
 * call.  Nothing here prints or exits.
 */
#ifndef SF_LINES_H
#define SF_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct sf_lines {
    int fd;
    size_t max;             /* the longest line accepted, without its '\n' */
    char *buf;              /* max + 1 + a read's worth */
    size_t cap, start, end; /* the bytes read and not yet returned: buf[start, end) */
    uint64_t lineno;        /* the number of the line last returned (1 for the first) */
    int eof;
};

/*
 * Ready l to read lines of at most max bytes from fd (not owned).  0, or
 * -1: fd is not open (SF_ERR_SYS, EBADF), or no memory.
 */
int sf_lines_open(struct sf_err *err, struct sf_lines *l, int fd, size_t max);

/*
 * The next line, in *line and *len (without its '\n').  Returns 1, 0 at
 * the end of the input, or -1: SF_ERR_INVALID for a line over the bound
 * ("standard input, line 3: longer than 65500 bytes", op NULL), SF_ERR_SYS
 * when read() fails (EINTR is retried).
 */
int sf_lines_next(struct sf_err *err, struct sf_lines *l, const char **line, size_t *len);

/* Release the buffer (the fd stays open). */
void sf_lines_close(struct sf_lines *l);

#endif
