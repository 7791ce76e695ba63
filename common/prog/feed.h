/*
 * feed: a client's messages when one of them is '-' (the lines of
 * standard input): the operands in order and, in place of '-', each line
 * as it is read, every message handed out `count` times in a row before
 * the next is taken.  Nothing is kept but the one line (lines.h): stdin is
 * read once, and a million lines cost what one does.  An empty line is a
 * message only where an empty message is one (records); elsewhere it is
 * skipped.  A --burst holds every message at once, so a line past its
 * bounds (xchg.h) ends the input like a line too long.  The client's plan
 * (client.h) asks for the next message only once the last one's exchange
 * is over, so the line it points into is never overwritten too soon.
 * Nothing here prints or exits.
 */
#ifndef SF_FEED_H
#define SF_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "err.h"
#include "lines.h"
#include "xchg.h"

struct sf_feed {
    int on;                         /* there is a '-': the messages come from here */
    const struct sf_messages *msgs; /* the operands, '-' among them (not owned) */
    size_t stdin_at;                /* the index of '-' in msgs */
    uint64_t count;                 /* sends of each message */
    int allow_empty;                /* an empty line is a message (records); else skipped */
    struct sf_lines lines;          /* standard input */
    int reading;                    /* the list has come to '-', whose lines are not all read */
    size_t next;                    /* the next of msgs->v to take */
    struct sf_message cur;          /* the message being sent */
    int cur_is_line;                /* ... came from standard input */
    uint64_t left;                  /* its sends still to make */
    uint64_t given;                 /* messages taken so far, operands and lines */
    int failed;                     /* the input ended the messages: err says why */
    struct sf_err err;
};

/*
 * Ready f for the messages msgs, '-' at stdin_at (lines of fd, at most
 * line_max bytes each), each sent count times.  stdin_at < 0: no '-', f
 * stays off (f->on 0) and the client plans as before.  0, or -1 with err
 * (fd not open, no memory for a line).
 */
int sf_feed_open(struct sf_err *err, struct sf_feed *f, const struct sf_messages *msgs,
                 int stdin_at, uint64_t count, int fd, size_t line_max, int allow_empty);

/*
 * Is there a message to send?  1: f->cur, with f->left sends to go
 * (reading the next line when the last message's sends are done).  0: the
 * messages are done, or the input failed (f->failed, f->err: a line too
 * long, SF_ERR_INVALID; a read, SF_ERR_SYS).  burst: the burst under way
 * (--burst), whose bounds the next message must fit, or NULL.
 */
int sf_feed_ready(struct sf_feed *f, const struct sf_burst *burst);

/* One send of f->cur (after sf_feed_ready() said 1): counted, and returned. */
const struct sf_message *sf_feed_take(struct sf_feed *f);

/* Release the line buffer. */
void sf_feed_close(struct sf_feed *f);

#endif
