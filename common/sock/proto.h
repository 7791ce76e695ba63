/*
 * proto: the demo protocols as pure functions on bytes, the same for every
 * family (TCP chunks, UDP datagrams, AF_UNIX records alike).
 *
 *   welcome  the tutorial's first demo: "1" earns "Welcome to server!",
 *            anything else "Please go out!"; one message per conversation.
 *   echo     the tutorial's second demo: "echo=> " + what came in.
 *   mirror   the bytes back unchanged (the benchmark mode).
 *   discard  read and drop; no reply.
 *
 * No sockets here: the servers feed what they received and send what comes
 * back, and the clients check replies with sf_proto_check_reply().
 */
#ifndef SF_PROTO_H
#define SF_PROTO_H

#include <stddef.h>

enum sf_mode { SF_MODE_WELCOME, SF_MODE_ECHO, SF_MODE_MIRROR, SF_MODE_DISCARD };

#define SF_WELCOME_YES "Welcome to server!"
#define SF_WELCOME_NO "Please go out!"
#define SF_ECHO_PREFIX "echo=> "
#define SF_ECHO_PREFIX_LEN (sizeof(SF_ECHO_PREFIX) - 1)
#define SF_DEFAULT_MESSAGE "Hello network World"

/* "welcome", "echo", ... into *mode: 0, or -1 for an unknown name. */
int sf_mode_parse(const char *name, enum sf_mode *mode);
const char *sf_mode_name(enum sf_mode mode);

/* The tutorial's port for the mode: "8001" for welcome, "50007" otherwise. */
const char *sf_mode_default_port(enum sf_mode mode);

/* The largest reply sf_proto_reply() can make for inlen input bytes. */
size_t sf_proto_reply_max(enum sf_mode mode, size_t inlen);

/*
 * Make the reply to one received chunk into out (cap >= reply_max).
 * Returns its length (0 for discard).
 */
size_t sf_proto_reply(enum sf_mode mode, const void *in, size_t inlen, void *out, size_t cap);

/*
 * The reply to in, as sf_proto_reply() makes it, with its length in *len,
 * without copying what needs no copy: mirror's reply is in itself, and
 * welcome's a constant; echo's is built in out.  The pointer is valid
 * while in and out are.
 */
const void *sf_proto_answer(enum sf_mode mode, const void *in, size_t inlen, void *out, size_t cap,
                            size_t *len);

enum sf_reply_state {
    SF_REPLY_PARTIAL,  /* what came so far is a proper start: keep reading */
    SF_REPLY_COMPLETE, /* the whole expected reply is there */
    SF_REPLY_WRONG,    /* these bytes cannot be the reply to msg */
};

/*
 * Check reply bytes against the message that was sent.  Over a stream the
 * server may have read the message in several chunks and prefixed each one,
 * so an echo reply is one or more "echo=> " + chunk whose chunks add up to
 * msg.  Welcome replies are complete when equal to either answer.
 */
enum sf_reply_state sf_proto_check_reply(enum sf_mode mode, const void *msg, size_t mlen,
                                         const void *reply, size_t rlen);

/*
 * Fill buf with a generated printable payload (the --size message): a
 * repeating "sockfam-0123456789..." pattern, easy to spot in a capture.
 */
void sf_payload_fill(void *buf, size_t len);

/*
 * Number a --size payload: its bytes 8-15 become n in hexadecimal
 * ("sockfam-0000002a..."), so that no two messages of a run are the same
 * bytes.  A reply is then matched to its own message, never to a late
 * copy of another, and a capture tells each message apart (sockfam
 * compare's lost, duplicated and out-of-order counts).  A payload under
 * SF_PAYLOAD_STAMP_MIN bytes is left as it is.
 */
#define SF_PAYLOAD_STAMP_MIN 16
void sf_payload_stamp(void *buf, size_t len, unsigned long long n);

#endif
