/* Unit tests for common/proto: replies and reply checking, as tables. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto.h"

TestSuite(proto, .timeout = 10);

struct reply_case {
    enum sf_mode mode;
    const char *in, *out;
};

static const struct reply_case replies[] = {
    {SF_MODE_WELCOME, "1", "Welcome to server!"},
    {SF_MODE_WELCOME, "2", "Please go out!"},
    {SF_MODE_WELCOME, "11", "Please go out!"},
    {SF_MODE_WELCOME, "1\n", "Please go out!"},
    {SF_MODE_WELCOME, "", "Please go out!"},
    {SF_MODE_ECHO, "Hello network World", "echo=> Hello network World"},
    {SF_MODE_ECHO, "", "echo=> "},
    {SF_MODE_MIRROR, "abc", "abc"},
    {SF_MODE_DISCARD, "abc", ""},
};

Test(proto, reply_table)
{
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        const struct reply_case *c = &replies[i];
        char out[64];
        size_t n = sf_proto_reply(c->mode, c->in, strlen(c->in), out, sizeof(out));
        cr_expect_eq(n, strlen(c->out), "case %zu", i);
        cr_expect_eq(memcmp(out, c->out, n), 0, "case %zu", i);
        cr_expect_leq(n, sf_proto_reply_max(c->mode, strlen(c->in)));
    }
}

/* Too small an output buffer gives no reply at all rather than a cut one. */
Test(proto, reply_refuses_small_buffer)
{
    char out[4];
    cr_expect_eq(sf_proto_reply(SF_MODE_ECHO, "abc", 3, out, sizeof(out)), 0);
}

struct check_case {
    enum sf_mode mode;
    const char *msg, *reply;
    enum sf_reply_state want;
};

static const struct check_case checks[] = {
    {SF_MODE_ECHO, "abc", "", SF_REPLY_PARTIAL},
    {SF_MODE_ECHO, "abc", "ech", SF_REPLY_PARTIAL},
    {SF_MODE_ECHO, "abc", "echo=> ", SF_REPLY_PARTIAL},
    {SF_MODE_ECHO, "abc", "echo=> ab", SF_REPLY_PARTIAL},
    {SF_MODE_ECHO, "abc", "echo=> abc", SF_REPLY_COMPLETE},
    /* the server read the message in two chunks and prefixed each */
    {SF_MODE_ECHO, "abc", "echo=> abecho=> c", SF_REPLY_COMPLETE},
    {SF_MODE_ECHO, "abc", "echo=> aecho=> becho=> c", SF_REPLY_COMPLETE},
    {SF_MODE_ECHO, "abc", "echo=> abech", SF_REPLY_PARTIAL},
    /* a chunk ends just before an 'e' of the message: "echo=> " must win */
    {SF_MODE_ECHO, "abefg", "echo=> abecho=> efg", SF_REPLY_COMPLETE},
    {SF_MODE_ECHO, "abefg", "echo=> abe", SF_REPLY_PARTIAL},
    {SF_MODE_ECHO, "abefg", "echo=> abec", SF_REPLY_PARTIAL},
    /* a message that ends like the start of a prefix completes */
    {SF_MODE_ECHO, "xech", "echo=> xech", SF_REPLY_COMPLETE},
    {SF_MODE_ECHO, "abc", "echo=> abd", SF_REPLY_WRONG},
    {SF_MODE_ECHO, "abc", "Echo=> abc", SF_REPLY_WRONG},
    {SF_MODE_ECHO, "abc", "echo=> abcd", SF_REPLY_WRONG},
    {SF_MODE_ECHO, "abc", "abc", SF_REPLY_WRONG},
    {SF_MODE_MIRROR, "abc", "ab", SF_REPLY_PARTIAL},
    {SF_MODE_MIRROR, "abc", "abc", SF_REPLY_COMPLETE},
    {SF_MODE_MIRROR, "abc", "abd", SF_REPLY_WRONG},
    {SF_MODE_MIRROR, "abc", "abcd", SF_REPLY_WRONG},
    {SF_MODE_WELCOME, "1", "Welcome", SF_REPLY_PARTIAL},
    {SF_MODE_WELCOME, "1", "Welcome to server!", SF_REPLY_COMPLETE},
    {SF_MODE_WELCOME, "2", "Please go out!", SF_REPLY_COMPLETE},
    {SF_MODE_WELCOME, "1", "Welcome to server!!", SF_REPLY_WRONG},
    {SF_MODE_WELCOME, "1", "Go away", SF_REPLY_WRONG},
};

Test(proto, check_reply_table)
{
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        const struct check_case *c = &checks[i];
        enum sf_reply_state st =
            sf_proto_check_reply(c->mode, c->msg, strlen(c->msg), c->reply, strlen(c->reply));
        cr_expect_eq(st, c->want, "case %zu: '%s' for '%s' gave %d", i, c->reply, c->msg, st);
    }
}

/* Every way of splitting a generated payload into chunks checks as complete. */
Test(proto, echo_any_chunking_completes)
{
    char msg[200], reply[200 + 7 * 200];

    sf_payload_fill(msg, sizeof(msg));
    for (size_t chunk = 1; chunk <= sizeof(msg); chunk++) {
        size_t r = 0;
        for (size_t at = 0; at < sizeof(msg); at += chunk) {
            size_t n = sizeof(msg) - at < chunk ? sizeof(msg) - at : chunk;
            r += sf_proto_reply(SF_MODE_ECHO, msg + at, n, reply + r, sizeof(reply) - r);
        }
        cr_expect_eq(sf_proto_check_reply(SF_MODE_ECHO, msg, sizeof(msg), reply, r),
                     SF_REPLY_COMPLETE, "chunk %zu", chunk);
        /* and every prefix of that reply is only partial */
        for (size_t cut = 0; cut < r; cut += 13)
            cr_expect_eq(sf_proto_check_reply(SF_MODE_ECHO, msg, sizeof(msg), reply, cut),
                         SF_REPLY_PARTIAL, "chunk %zu cut %zu", chunk, cut);
    }
}

Test(proto, mode_names_and_ports)
{
    enum sf_mode m;

    cr_expect_eq(sf_mode_parse("welcome", &m), 0);
    cr_expect_eq(m, SF_MODE_WELCOME);
    cr_expect_str_eq(sf_mode_default_port(m), "8001");
    cr_expect_eq(sf_mode_parse("discard", &m), 0);
    cr_expect_str_eq(sf_mode_default_port(m), "50007");
    cr_expect_str_eq(sf_mode_name(SF_MODE_MIRROR), "mirror");
    cr_expect_eq(sf_mode_parse("Echo", &m), -1);
    cr_expect_eq(sf_mode_parse("", &m), -1);
}

/* The answer is the reply sf_proto_reply() makes; mirror's is the input itself, not a copy. */
Test(proto, answer_is_the_reply_mirror_without_a_copy)
{
    static const enum sf_mode modes[] = {SF_MODE_WELCOME, SF_MODE_ECHO, SF_MODE_MIRROR,
                                         SF_MODE_DISCARD};
    const char in[] = "1";
    char made[64], out[64];

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        size_t len = 99, want = sf_proto_reply(modes[i], in, 1, made, sizeof(made));
        const char *a = sf_proto_answer(modes[i], in, 1, out, sizeof(out), &len);
        cr_expect_eq(len, want, "mode %d", (int)modes[i]);
        cr_expect(len == 0 || memcmp(a, made, len) == 0, "mode %d", (int)modes[i]);
    }
    size_t len;
    cr_expect_eq(sf_proto_answer(SF_MODE_MIRROR, in, 1, out, sizeof(out), &len), (const void *)in);
    cr_expect_eq(sf_proto_answer(SF_MODE_ECHO, in, 1, out, sizeof(out), &len), (const void *)out);
}
