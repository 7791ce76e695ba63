/*
 * models: the four ways a connection server serves many clients, the
 * lesson UNP and Beej teach one at a time, here side by side behind one
 * entry point, so that a program chooses with --model and nothing else
 * changes (the same config, counters and callbacks as sserv.h):
 *
 *   epoll      one thread waits on every client at once (sserv.c); a
 *              client costs a few hundred bytes and a descriptor, and none
 *              delays another.  The default.
 *   thread     a thread per client, blocking calls (threaded.c); a client
 *              costs a stack (256 KiB reserved, a few pages touched) and a
 *              kernel task, and a wake-up is a switch to its thread.
 *   fork       a process per client (forked.c), UNP's classic; a client
 *              costs a fork() and a process, and a crash ends that client
 *              only.  Counts cross back to the parent through a pipe.
 *   iterative  one client at a time (iterative.c), the tutorial's; it
 *              costs nothing but waiting: the others queue in the listen
 *              backlog, and a silent client holds them all until its
 *              timeout (welcome: timeout_ms; else idle_timeout_ms) ends it.
 *
 * Every model honours the modes, the welcome, idle and send timeouts,
 * max_conns and max_per_peer (trivially for iterative: one at a time),
 * once, records (seqpacket) and the stop descriptor; a blocking model
 * sees the stop within SF_BSERV_SLICE_MS (bserv.h) and leaves nothing
 * behind: no thread running, no child unreaped.  What they do not share:
 * only epoll holds a reply for a client that does not read (pending_peak);
 * a blocking model waits in send() instead, in that client's own thread or
 * process, so the others go on.
 */
#ifndef SF_MODELS_H
#define SF_MODELS_H

#include "err.h"
#include "sserv.h"

enum sf_model { SF_MODEL_EPOLL, SF_MODEL_THREAD, SF_MODEL_FORK, SF_MODEL_ITERATIVE, SF_MODEL_N };

/* "epoll", "thread", "fork", "iterative" into *m: 0, or -1 for any other name. */
int sf_model_parse(const char *name, enum sf_model *m);

/* The model's name, as sf_model_parse() takes it. */
const char *sf_model_name(enum sf_model m);

/*
 * Serve listen_fd with the model until stop_fd is readable or, with
 * cfg->once, after the first conversation: sf_sserv_run() for epoll,
 * one of the three below otherwise.  Returns 0, or -1 with err set.
 */
int sf_model_run(struct sf_err *err, enum sf_model model, int listen_fd,
                 const struct sf_sserv_config *cfg, int stop_fd,
                 struct sf_sserv_counters *counters);

/*
 * The three blocking models, as sf_sserv_run() is called.  The caller owns
 * listen_fd (left non-blocking) and stop_fd; each model owns and closes
 * the connections it accepts.
 */
int sf_threaded_run(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg,
                    int stop_fd, struct sf_sserv_counters *counters);

/*
 * fork: on_connect runs in the parent, the other callbacks in the child
 * that serves the client; a child ends with _exit(), after fflush(NULL),
 * and holds only its client, stop_fd (a signalfd reads the signals of the
 * process that reads it: the child's own), the pipe its counts go home by,
 * and the standard descriptors.  At the stop the parent sends each child
 * SIGTERM (blocked, so it arrives on stop_fd) and waits; a child that has
 * not ended 2 s later is killed, counted as an error, its counts lost.
 */
int sf_forked_run(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg, int stop_fd,
                  struct sf_sserv_counters *counters);

int sf_iterative_run(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg,
                     int stop_fd, struct sf_sserv_counters *counters);

#endif
