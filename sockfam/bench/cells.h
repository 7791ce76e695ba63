/*
 * cells: the bench's table of rows.  Every measuring file appends its rows
 * here and fills them; the ratios are worked out here once every row is
 * in (one per repetition, see cells_ratios()), each of the section's headline figure: the round
 * trip's p50 (the mean where a peer gives no p50), MB/s, datagrams delivered per second,
 * connections per second.  A family's row is over its floor (the bare
 * socket of its type); a peer's row is ours over the peer's.
 */
#ifndef SF_CELLS_H
#define SF_CELLS_H

#include "bench.h"

/*
 * A new row, zeroed but for what is given; a family's row gets the name of
 * its floor to be compared with.  Never NULL: the table is sized for every
 * row a run can add.
 */
struct cell *bench_cell(struct bench *b, enum section sec, enum role role, const char *name,
                        unsigned long size);

/* A floor's row name in a section: a connection needs a listener, so no socketpair there. */
const char *cells_floor_label(enum section sec, enum floor_kind k);

/* The progress line ("sockfam bench: tcp, 64 bytes"), on a terminal only. */
void bench_progress(const struct bench *b, const char *what, unsigned long size);

/* Keep the figures of every row measured since the last call as its next repetition. */
void cells_keep(struct bench *b);

/* A row's figures as they are now; and put figures back into a row. */
struct figs cells_figs(const struct cell *c);
void cells_figs_put(struct cell *c, const struct figs *f);

/*
 * Once every repetition is in: each row's ratio, the median of its
 * repetitions' ratios to the row it is compared with (repetition r to
 * repetition r: measured side by side), with their range; and each row's
 * figures, those of its median repetition (ok only if every one was).
 */
void cells_ratios(struct bench *b);

/* A section's headline figure of a row (see above). */
double cells_headline(const struct cell *c);

#endif
