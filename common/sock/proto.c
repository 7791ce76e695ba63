/* proto: the demo protocols on bytes; see proto.h. */
#include "proto.h"

#include <string.h>

static const char *const mode_names[] = {"welcome", "echo", "mirror", "discard"};

int sf_mode_parse(const char *name, enum sf_mode *mode)
{
    for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
        if (strcmp(name, mode_names[i]) == 0) {
            *mode = (enum sf_mode)i;
            return 0;
        }
    }
    return -1;
}

const char *sf_mode_name(enum sf_mode mode)
{
    return mode_names[mode];
}

const char *sf_mode_default_port(enum sf_mode mode)
{
    return mode == SF_MODE_WELCOME ? "8001" : "50007";
}

size_t sf_proto_reply_max(enum sf_mode mode, size_t inlen)
{
    switch (mode) {
    case SF_MODE_WELCOME:
        return sizeof(SF_WELCOME_YES) - 1;
    case SF_MODE_ECHO:
        return SF_ECHO_PREFIX_LEN + inlen;
    case SF_MODE_MIRROR:
        return inlen;
    case SF_MODE_DISCARD:
        break;
    }
    return 0;
}

/* The tutorial compares the whole received string with '1'. */
static const char *welcome_answer(const void *in, size_t inlen)
{
    return inlen == 1 && *(const char *)in == '1' ? SF_WELCOME_YES : SF_WELCOME_NO;
}

size_t sf_proto_reply(enum sf_mode mode, const void *in, size_t inlen, void *out, size_t cap)
{
    const char *answer;

    if (cap < sf_proto_reply_max(mode, inlen))
        return 0;
    switch (mode) {
    case SF_MODE_WELCOME:
        answer = welcome_answer(in, inlen);
        memcpy(out, answer, strlen(answer));
        return strlen(answer);
    case SF_MODE_ECHO:
        memcpy(out, SF_ECHO_PREFIX, SF_ECHO_PREFIX_LEN);
        memcpy((char *)out + SF_ECHO_PREFIX_LEN, in, inlen);
        return SF_ECHO_PREFIX_LEN + inlen;
    case SF_MODE_MIRROR:
        memcpy(out, in, inlen);
        return inlen;
    case SF_MODE_DISCARD:
        break;
    }
    return 0;
}

/* Is `have` (n bytes) a start of `want` (m bytes)? */
static int is_start_of(const char *have, size_t n, const char *want, size_t m)
{
    return n <= m && memcmp(have, want, n) == 0;
}

/* Does a full "echo=> " start at p (n bytes available)? */
static int prefix_at(const char *p, size_t n)
{
    return n >= SF_ECHO_PREFIX_LEN && memcmp(p, SF_ECHO_PREFIX, SF_ECHO_PREFIX_LEN) == 0;
}

/*
 * Walk "echo=> " + chunk ...: a chunk ends where a full prefix appears in
 * the reply but not in the message.  (A message that itself holds
 * "echo=> " at a chunk boundary could be misread; nothing we send does.)
 * Called again from the start as more bytes arrive.
 */
static enum sf_reply_state check_echo(const char *msg, size_t mlen, const char *r, size_t rlen)
{
    size_t ri = 0, mi = 0, plen = SF_ECHO_PREFIX_LEN;

    if (rlen == 0)
        return SF_REPLY_PARTIAL;
    while (ri < rlen) {
        size_t left = rlen - ri, start = mi;
        if (!is_start_of(r + ri, left < plen ? left : plen, SF_ECHO_PREFIX, plen))
            return SF_REPLY_WRONG;
        if (left < plen)
            return SF_REPLY_PARTIAL;
        ri += plen;
        while (ri < rlen && mi < mlen) {
            size_t rest = rlen - ri;
            if (mi > start && prefix_at(r + ri, rest) && !prefix_at(msg + mi, mlen - mi))
                break;
            /* The tail may be the start of the next chunk's prefix: wait for
             * more, unless those bytes are exactly the end of the message. */
            if (mi > start && rest < plen && is_start_of(r + ri, rest, SF_ECHO_PREFIX, plen) &&
                !(mi + rest == mlen && memcmp(r + ri, msg + mi, rest) == 0))
                return SF_REPLY_PARTIAL;
            if (r[ri] != msg[mi])
                return SF_REPLY_WRONG;
            ri++;
            mi++;
        }
        /* Bytes follow that neither continue the message nor start a chunk. */
        if (ri < rlen && mi == start)
            return SF_REPLY_WRONG;
    }
    return mi == mlen ? SF_REPLY_COMPLETE : SF_REPLY_PARTIAL;
}

enum sf_reply_state sf_proto_check_reply(enum sf_mode mode, const void *msg, size_t mlen,
                                         const void *reply, size_t rlen)
{
    const char *r = reply;

    switch (mode) {
    case SF_MODE_WELCOME:
        if ((rlen == strlen(SF_WELCOME_YES) && memcmp(r, SF_WELCOME_YES, rlen) == 0) ||
            (rlen == strlen(SF_WELCOME_NO) && memcmp(r, SF_WELCOME_NO, rlen) == 0))
            return SF_REPLY_COMPLETE;
        return is_start_of(r, rlen, SF_WELCOME_YES, strlen(SF_WELCOME_YES)) ||
                       is_start_of(r, rlen, SF_WELCOME_NO, strlen(SF_WELCOME_NO))
                   ? SF_REPLY_PARTIAL
                   : SF_REPLY_WRONG;
    case SF_MODE_ECHO:
        return check_echo(msg, mlen, r, rlen);
    case SF_MODE_MIRROR:
        if (!is_start_of(r, rlen, msg, mlen))
            return SF_REPLY_WRONG;
        return rlen == mlen ? SF_REPLY_COMPLETE : SF_REPLY_PARTIAL;
    case SF_MODE_DISCARD:
        break;
    }
    return rlen == 0 ? SF_REPLY_COMPLETE : SF_REPLY_WRONG;
}

void sf_payload_stamp(void *buf, size_t len, unsigned long long n)
{
    static const char hex[] = "0123456789abcdef";
    char *p = buf;

    if (len < SF_PAYLOAD_STAMP_MIN)
        return;
    for (int i = 15; i >= 8; i--, n >>= 4)
        p[i] = hex[n & 0xf];
}

void sf_payload_fill(void *buf, size_t len)
{
    static const char pattern[] = "sockfam-0123456789abcdefghijklmnopqrstuvwxyz.";
    char *p = buf;

    for (size_t i = 0; i < len; i++)
        p[i] = pattern[i % (sizeof(pattern) - 1)];
}

const void *sf_proto_answer(enum sf_mode mode, const void *in, size_t inlen, void *out, size_t cap,
                            size_t *len)
{
    if (mode == SF_MODE_MIRROR) {
        *len = inlen; /* the same bytes: no copy (16 KiB is half a microsecond here) */
        return in;
    }
    if (mode == SF_MODE_WELCOME) {
        const char *answer = welcome_answer(in, inlen);
        *len = strlen(answer);
        return answer;
    }
    *len = sf_proto_reply(mode, in, inlen, out, cap);
    return out;
}
