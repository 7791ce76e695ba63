/*
 * Pair tests for unix/: real unix-server and unix-client processes on
 * paths in a private mkdtemp directory (or abstract names unique to the
 * test), for every socket type: modes, boundaries, credentials, and a safe
 * start and stop of the socket file.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "proc.h"

#define WAIT_MS 10000

static const char *types[] = {"stream", "seqpacket", "dgram"};
TestSuite(unix, .timeout = 30, .fini = test_dir_remove);

/* The path of a socket in this test's private directory. */
static void sock_path(char *buf, size_t cap, const char *name)
{
    test_sock_path(buf, cap, name);
}

static void start(struct server *s, const char *type, const char *bind, const char *const more[])
{
    const char *argv[20] = {"unix-server", "--type", type, "--bind", bind};
    int n = 5;

    for (; more && *more; more++)
        argv[n++] = *more;
    argv[n] = NULL;
    cr_assert_eq(proc_start(&s->p, argv), 0);
    cr_assert(proc_wait_output(&s->p, 2, "listening on ", WAIT_MS), "stderr: %s", s->p.err);
}

static void stop(struct server *s, int sig)
{
    cr_expect_eq(proc_signal_wait(&s->p, sig, WAIT_MS), 0, "server stderr: %s", s->p.err);
}

/* Echo over each type; connected types show the client's credentials. */
Test(unix, echo_every_type_with_credentials)
{
    for (int i = 0; i < 3; i++) {
        struct server s;
        struct proc c;
        char path[128];
        sock_path(path, sizeof(path), types[i]);
        start(&s, types[i], path, NULL);
        const char *argv[] = {"unix-client", "--type", types[i], path, NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s: %s", types[i], c.err);
        cr_expect_str_eq(c.out, "Client received: 'echo=> Hello network World'\n", "%s", types[i]);
        if (i < 2) {
            char want[64];
            snprintf(want, sizeof(want), "(pid %d, uid %u, gid %u)", (int)c.pid, (unsigned)getuid(),
                     (unsigned)getgid());
            cr_expect(proc_wait_output(&s.p, 1, want, WAIT_MS), "%s: '%s' lacks %s", types[i],
                      s.p.out, want);
        } else {
            cr_expect(proc_wait_output(&s.p, 1, "Server received from '\\x00", WAIT_MS), "%s",
                      s.p.out);
        }
        stop(&s, SIGTERM);
    }
}

/* welcome, mirror and discard over each type. */
Test(unix, modes_every_type)
{
    for (int i = 0; i < 3; i++) {
        struct server s;
        struct proc c;
        char path[128];
        sock_path(path, sizeof(path), "modes");
        const char *welcome[] = {"--mode", "welcome", NULL};
        start(&s, types[i], path, welcome);
        const char *w[] = {"unix-client", "--type", types[i], "--mode", "welcome", path, NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, w), 0, "%s: %s", types[i], c.err);
        cr_expect_str_eq(c.out, "Welcome to server!\n", "%s", types[i]);
        stop(&s, SIGTERM);

        const char *mirror[] = {"--mode", "mirror", NULL};
        start(&s, types[i], path, mirror);
        const char *m[] = {"unix-client", "--type", types[i], "--mode", "mirror", "-c",
                           "50",          "--size", "4000",   "--json", path,     NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, m), 0, "%s: %s", types[i], c.err);
        cr_expect(strstr(c.out, "\"sent\":50,\"answered\":50,\"lost\":0,\"truncated\":0"), "%s: %s",
                  types[i], c.out);
        stop(&s, SIGTERM);

        const char *discard[] = {"--mode", "discard", "-q", NULL};
        start(&s, types[i], path, discard);
        const char *d[] = {"unix-client", "--type", types[i], "--mode", "discard",
                           "-c",          "20",     path,     NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, d), 0, "%s: %s", types[i], c.err);
        stop(&s, SIGTERM);
    }
}

/* 3000 bytes against the server's 1024-byte buffer: stream keeps the rest, records lose it. */
Test(unix, boundary_lesson_stream_keeps_rest_records_lose_it)
{
    for (int i = 0; i < 3; i++) {
        struct server s;
        struct proc c;
        char path[128];
        sock_path(path, sizeof(path), "boundary");
        const char *small[] = {"--recv-size", "1024", "-q", NULL};
        start(&s, types[i], path, small);
        const char *argv[] = {"unix-client", "--type", types[i], "--size", "3000", path, NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s: %s", types[i], c.err);
        stop(&s, SIGTERM);
        if (i == 0) {
            cr_expect(strstr(c.out, "0 lost; 3000 bytes out, 3021 in"), "%s", c.out);
            continue;
        }
        cr_expect(strstr(c.out, "1 truncated; 3000 bytes out, 1031 in"), "%s: %s", types[i], c.out);
        cr_expect(strstr(c.err, "reply short: 1031 bytes"), "%s: %s", types[i], c.err);
        cr_expect(strstr(s.p.err, "truncated: 3000 bytes, buffer 1024 (the other 1976 are lost)"),
                  "%s: %s", types[i], s.p.err);
    }
}

/* Abstract names leave no file anywhere. */
Test(unix, abstract_name_roundtrip)
{
    char name[64];

    snprintf(name, sizeof(name), "@sockfam-test-%d", (int)getpid());
    for (int i = 0; i < 3; i++) {
        struct server s;
        struct proc c;
        start(&s, types[i], name, NULL);
        const char *argv[] = {"unix-client", "--type", types[i], name, "abstract", NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s: %s", types[i], c.err);
        cr_expect_str_eq(c.out, "Client received: 'echo=> abstract'\n");
        stop(&s, SIGTERM);
    }
}

/*
 * dgram --connect: the server is the socket's peer; echoes work as before,
 * and a flood into a discarding server completes with nothing lost (the
 * sender waits for room in the queue instead of spinning on EAGAIN).
 */
Test(unix, dgram_connect_echo_and_flood)
{
    char name[64];
    struct server s;
    struct proc c;
    const char *discard[] = {"--mode", "discard", "-q", NULL};

    snprintf(name, sizeof(name), "@sockfam-test-connect-%d", (int)getpid());
    start(&s, "dgram", name, NULL);
    const char *echo[] = {"unix-client", "--type", "dgram", "--connect", name, "joined", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, echo), 0, "%s", c.err);
    cr_expect_str_eq(c.out, "Client received: 'echo=> joined'\n");
    stop(&s, SIGTERM);

    start(&s, "dgram", name, discard);
    const char *flood[] = {"unix-client", "--type", "dgram", "--connect", "--mode", "discard", "-q",
                           "-c",          "20000",  "-s",    "64",        name,     NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, flood), 0, "%s", c.err);
    stop(&s, SIGTERM);
    cr_expect(strstr(s.p.err, "datagrams 20000, replies 0, truncated 0, send errors 0"), "%s",
              s.p.err);
    cr_expect(strstr(s.p.err, "dropped by the kernel 0; reads 20000 (64-64 bytes)\n"), "%s",
              s.p.err);
}

/* The file is 0600 unless told otherwise, for every type, and removed on SIGINT and SIGTERM. */
Test(unix, socket_file_mode_and_removal)
{
    int sigs[] = {SIGINT, SIGTERM};
    const char *perms[][3] = {{NULL}, {"--perms", "0660", NULL}};
    mode_t want[] = {0600, 0660};

    for (int t = 0; t < 3; t++)
        for (int i = 0; i < 2; i++) {
            struct server s;
            struct stat st;
            char path[128];
            sock_path(path, sizeof(path), "mode.sock");
            start(&s, types[t], path, perms[i]);
            cr_assert_eq(stat(path + 5, &st), 0);
            cr_expect(S_ISSOCK(st.st_mode));
            cr_expect_eq(st.st_mode & 0777, want[i], "%s: mode %o", types[t], st.st_mode & 0777);
            stop(&s, sigs[i]);
            cr_expect_neq(stat(path + 5, &st), 0, "%s: socket file left behind after signal %d",
                          types[t], sigs[i]);
        }
}

/* A dead server's file is replaced; a live server is "in use"; a non-socket is left alone. */
Test(unix, stale_live_and_non_socket_paths)
{
    struct server s;
    struct proc c;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    char path[128];

    sock_path(path, sizeof(path), "stale.sock");
    strcpy(sun.sun_path, path + 5);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    close(fd); /* the file stays, with nobody behind it */
    start(&s, "stream", path, NULL);
    const char *argv[] = {"unix-client", path, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);

    const char *again[] = {"unix-server", "--bind", path, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, again), 71, "%s", c.err);
    cr_expect(strstr(c.err, "Address already in use"), "%s", c.err);
    stop(&s, SIGTERM);

    char file[128];
    sock_path(file, sizeof(file), "plain-file");
    FILE *f = fopen(file + 5, "w");
    cr_assert(f);
    fputs("keep me\n", f);
    fclose(f);
    const char *onfile[] = {"unix-server", "--bind", file, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, onfile), 71, "%s", c.err);
    cr_expect(strstr(c.err, "exists and is not a socket (left alone)"), "%s", c.err);
    struct stat st;
    cr_expect(stat(file + 5, &st) == 0 && S_ISREG(st.st_mode), "the file was removed");
}

struct bad_case {
    const char *argv[8];
    int code;
    const char *msg;
};

/* Bad input: too-long paths, wrong address kinds, bad types, no server. */
Test(unix, bad_input_table)
{
    static char longpath[200];
    memset(longpath, 'x', sizeof(longpath) - 1);
    memcpy(longpath, "unix:/", 6);
    const struct bad_case cases[] = {
        {{"unix-server", "--bind", longpath, NULL}, 64, "unix socket path too long (194 bytes"},
        {{"unix-client", longpath, NULL}, 64, "too long"},
        {{"unix-server", "--type", "raw", NULL}, 64, "invalid --type 'raw'"},
        {{"unix-server", "--perms", "999", NULL}, 64, "invalid --perms '999'"},
        {{"unix-client", "localhost:80", NULL}, 64, "is not a unix socket address"},
        {{"unix-client", "unix:/nonexistent/sockfam.sock", NULL}, 69, "No such file or directory"},
        {{"unix-client", "--type", "stream", "--connect", NULL},
         64,
         "--connect is for --type dgram"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc c;
        cr_expect_eq(proc_run(&c, WAIT_MS, cases[i].argv), cases[i].code, "case %zu: %s", i, c.err);
        cr_expect(strstr(c.err, cases[i].msg), "case %zu: '%s'", i, c.err);
    }
}

/*
 * A flood from 50 unix dgram sockets of empty, small and 64 KiB datagrams,
 * no sender reading until the end.  AF_UNIX drops nothing silently: a full
 * queue or send buffer refuses the send (EAGAIN), so every datagram sent
 * is read by the server, every reply it sent is read by its sender, and a
 * reply refused is one of the server's send errors.
 */
Test(unix, dgram_flood_from_many_sockets_every_datagram_accounted)
{
    enum { SOCKS = 50, ROUNDS = 20 };
    static const size_t sizes[] = {0, 1, 512, 65536};
    static char buf[65536];
    int fds[SOCKS];
    struct server s;
    struct sockaddr_un to = {.sun_family = AF_UNIX};
    char name[128];
    unsigned long long sent = 0, got = 0, datagrams, replies, errors;
    const char *mirror[] = {"--mode", "mirror", "-q", NULL};

    sock_path(name, sizeof(name), "flood.sock");
    start(&s, "dgram", name, mirror);
    cr_assert_lt(strlen(name + 5), sizeof(to.sun_path));
    memcpy(to.sun_path, name + 5, strlen(name + 5) + 1);
    for (int i = 0; i < SOCKS; i++) {
        struct sockaddr_un me = {.sun_family = AF_UNIX}; /* autobind: a name to reply to */
        fds[i] = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        cr_assert_eq(bind(fds[i], (struct sockaddr *)&me, sizeof(sa_family_t)), 0);
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < SOCKS; i++) {
            size_t len = sizes[(size_t)(i + r) % 4];
            ssize_t n = sendto(fds[i], buf, len, 0, (struct sockaddr *)&to, sizeof(to));
            cr_assert(n == (ssize_t)len || errno == EAGAIN, "sendto: %s", strerror(errno));
            sent += n == (ssize_t)len;
        }
    /* One more client, after the flood; its reply is the server's datagram too. */
    struct proc c;
    const char *late[] = {"unix-client", "--type", "dgram", "--mode", "mirror",
                          "--timeout",   "0.5",    name,    NULL};
    int late_rc = proc_run(&c, WAIT_MS, late);
    stop(&s, SIGTERM);
    for (int i = 0; i < SOCKS; i++) {
        ssize_t n;
        while ((n = recv(fds[i], buf, sizeof(buf), MSG_TRUNC)) >= 0) {
            cr_expect(n == 0 || n == 1 || n == 512 || n == 65536, "reply of %zd", n);
            got++;
        }
        close(fds[i]);
    }
    const char *line = strstr(s.p.err, "unix-server: datagrams ");
    cr_assert_not_null(line, "%s", s.p.err);
    cr_assert_eq(sscanf(line,
                        "unix-server: datagrams %llu, replies %llu, truncated 0, send errors %llu",
                        &datagrams, &replies, &errors),
                 3, "%s", line);
    cr_log_info("unix dgram flood: sent %llu of %d; the server read %llu (with the late "
                "client's), replied %llu, %llu replies refused (EAGAIN); the senders read %llu; "
                "the late client: exit %d",
                sent, SOCKS * ROUNDS, datagrams, replies, errors, got, late_rc);
    cr_expect_gt(sent, 0);
    cr_expect_eq(datagrams, sent + 1, "%s", line);
    cr_expect_eq(replies + errors, datagrams, "%s", line);
    /*
     * The lesson: AF_UNIX charges a datagram to its sender until it is read.
     * Once the flooders' unread replies fill the server's send buffer (the
     * first EAGAIN), nothing frees it, and the late client gets no reply:
     * clients that do not read can silence a unix dgram server for all.
     */
    if (errors > 0)
        cr_expect_eq(late_rc, 69, "%s", c.err);
    cr_expect_eq(got + (late_rc == 0), replies, "%s", line);
    cr_expect(strstr(line, "dropped by the kernel 0; reads "), "%s", line);
    cr_expect_eq(line_counter(line, "; reads "), datagrams, "a read per datagram: %s", line);
    /* A flood of failures is counted, not printed line by line: ten lines, then one note. */
    int shown = 0;
    for (const char *p = s.p.err; (p = strstr(p, " not sent: ")); p++)
        shown++;
    cr_expect_eq(shown, errors < 10 ? (int)errors : 10, "%s", s.p.err);
    if (errors > 10)
        cr_expect(strstr(s.p.err, "unix-server: more unsent replies are counted on the last line, "
                                  "not shown\n"),
                  "%s", s.p.err);
}

/*
 * welcome --count 3: stream and seqpacket open a connection per message
 * (the server closes each after its answer); dgram sends all three on one
 * socket.
 */
Test(unix, welcome_count_one_connection_per_message)
{
    static const char *counted[] = {"unix-server: clients 3, replies 3,",
                                    "unix-server: clients 3, replies 3,",
                                    "unix-server: datagrams 3, replies 3,"};

    for (int i = 0; i < 3; i++) {
        struct server s;
        struct proc c;
        char path[128];
        sock_path(path, sizeof(path), "welcome3");
        const char *welcome[] = {"--mode", "welcome", "-q", NULL};
        start(&s, types[i], path, welcome);
        const char *argv[] = {"unix-client", "--type", types[i], "--mode", "welcome",
                              "-c",          "3",      "--json", path,     NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s: %s", types[i], c.err);
        cr_expect(strstr(c.out, "\"sent\":3,\"answered\":3,\"lost\":0,\"truncated\":0"), "%s: %s",
                  types[i], c.out);
        cr_expect(strstr(c.out, "\"bytes_received\":54,"), "%s: %s", types[i], c.out);
        /* A seqpacket server's close reads as 0 bytes for ever: not a stray reply each time. */
        cr_expect(strstr(c.out, "\"stray\":0,"), "%s: %s", types[i], c.out);
        stop(&s, SIGTERM);
        cr_expect(strstr(s.p.err, counted[i]), "%s: %s", types[i], s.p.err);
    }
}

/* A seqpacket server that closes without a record: the client says so and exits 69. */
Test(unix, seqpacket_close_without_reply_exits_69)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct pollfd p = {.events = POLLIN};
    struct proc c;
    char path[128], buf[64];

    sock_path(path, sizeof(path), "silent.sock");
    strcpy(sun.sun_path, path + 5);
    int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    cr_assert_eq(listen(lfd, 4), 0);
    const char *argv[] = {"unix-client", "--type", "seqpacket", "--json", path, NULL};
    cr_assert_eq(proc_start(&c, argv), 0);
    p.fd = lfd;
    cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "no connection within %d ms", WAIT_MS);
    int fd = accept(lfd, NULL, NULL);
    p.fd = fd;
    cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "no message within %d ms", WAIT_MS);
    cr_expect_gt(read(fd, buf, sizeof(buf)), 0);
    close(fd);
    cr_expect_eq(proc_wait_exit(&c, WAIT_MS), 69, "%s", c.err);
    cr_expect(strstr(c.err, "the server closed the connection without replying\n"), "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":0,\"answered\":0,"), "%s", c.out);
    close(lfd);
}

/* A private runtime directory for this test (root's, 0700), as XDG_RUNTIME_DIR. */
static void runtime_dir(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/sockfam-xdg-XXXXXX");
    cr_assert_not_null(mkdtemp(buf), "mkdtemp: %s", strerror(errno));
    cr_assert_eq(setenv("XDG_RUNTIME_DIR", buf, 1), 0);
}

struct squat_case {
    const char *what;
    int make; /* 0: a directory of uid 65534; 1: mode 0755; 2: a symlink to /tmp */
    int code; /* 77: not ours (EPERM), 71: not a directory */
    const char *msg;
};

/*
 * The default path's directory must be ours, 0700, and no symlink: one
 * that someone else made first (the review's squatter, who then owned
 * every name in it) makes the server and the client refuse, saying why.
 */
Test(unix, default_directory_taken_or_loose_refused)
{
    static const struct squat_case cases[] = {
        {"another user's", 0, 77, "belongs to uid 65534, not to you"},
        {"mode 0755", 1, 77, "has mode 0755, not 0700"},
        {"a symlink", 2, 71, "is not a directory (a symlink?)"},
    };
    char run[64], dir[128];

    if (geteuid() != 0)
        cr_skip_test("needs root to make a directory of another user's");
    runtime_dir(run, sizeof(run));
    snprintf(dir, sizeof(dir), "%s/sockfam", run);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *server[] = {"unix-server", NULL}, *client[] = {"unix-client", NULL};
        struct proc c;

        if (cases[i].make == 2)
            cr_assert_eq(symlink("/tmp", dir), 0);
        else
            cr_assert_eq(mkdir(dir, cases[i].make ? 0755 : 0700), 0);
        if (cases[i].make == 1)
            cr_assert_eq(chmod(dir, 0755), 0); /* past the umask */
        if (cases[i].make == 0)
            cr_assert_eq(chown(dir, 65534, 65534), 0);
        cr_expect_eq(proc_run(&c, WAIT_MS, server), cases[i].code, "%s: %s", cases[i].what, c.err);
        cr_expect(strstr(c.err, cases[i].msg), "%s: %s", cases[i].what, c.err);
        cr_expect_eq(proc_run(&c, WAIT_MS, client), cases[i].code, "%s: %s", cases[i].what, c.err);
        cr_expect(strstr(c.err, cases[i].msg), "%s: %s", cases[i].what, c.err);
        cr_assert_eq(cases[i].make == 2 ? unlink(dir) : rmdir(dir), 0);
    }
    rmdir(run);
}

/*
 * On the default path the client checks who serves it (SO_PEERCRED): a
 * server of another uid (neither the client's nor root's) is refused
 * before a byte is sent.  The client runs as uid 4242; the impostor as
 * 65534 on the client's own default path.
 */
Test(unix, default_path_server_of_another_uid_refused)
{
    char run[64], dir[128], path[192];
    struct server s;
    struct proc c;

    if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0)
        cr_skip_test("needs root and setpriv to run two other users");
    runtime_dir(run, sizeof(run));
    cr_assert_eq(chown(run, 4242, 4242), 0);
    snprintf(dir, sizeof(dir), "%s/sockfam", run);
    snprintf(path, sizeof(path), "unix:%s/stream-50007.sock", dir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(chown(dir, 4242, 4242), 0);
    cr_assert_eq(chmod(dir, 0777), 0); /* only while the impostor binds */
    cr_assert_eq(chmod(run, 0777), 0);
    const char *impostor[] = {"/usr/bin/setpriv",
                              "--reuid=65534",
                              "--regid=65534",
                              "--clear-groups",
                              proc_bin("unix-server"),
                              "--perms",
                              "0666",
                              "--bind",
                              path,
                              NULL};
    cr_assert_eq(proc_start(&s.p, impostor), 0);
    cr_assert(proc_wait_output(&s.p, 2, "listening on ", WAIT_MS), "%s", s.p.err);
    cr_assert_eq(chmod(dir, 0700), 0);
    cr_assert_eq(chmod(run, 0700), 0);
    const char *client[] = {"/usr/bin/setpriv", "--reuid=4242",          "--regid=4242",
                            "--clear-groups",   proc_bin("unix-client"), NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, client), 69, "%s", c.err);
    cr_expect(strstr(c.err, "the server there runs as uid 65534, not as you (uid 4242) or root"),
              "%s", c.err);
    cr_expect_eq(c.out_len, 0, "nothing was sent, nothing received: %s", c.out);
    stop(&s, SIGTERM);
    cr_expect(strstr(s.p.err, "clients 1, replies 0"), "%s", s.p.err);
    /* The impostor could not remove its file from a directory closed to it again: we do. */
    unlink(path + strlen("unix:"));
    cr_expect_eq(rmdir(dir), 0, "%s: %s", dir, strerror(errno));
    cr_expect_eq(rmdir(run), 0, "%s: %s", run, strerror(errno));
}

/* --perms means nothing for an @abstract name: refused, saying why. */
Test(unix, perms_with_abstract_name_refused)
{
    const char *argv[] = {"unix-server", "--bind", "@sockfam-perms", "--perms", "0600", NULL};
    struct proc c;

    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 64, "%s", c.err);
    cr_expect(strstr(c.err, "an @abstract name has no file, so no permissions"), "%s", c.err);
}

struct hint_case {
    const char *server_type, *client_type, *bind, *hint;
};

/* A client of the wrong type, or of no server, is told what to do. */
Test(unix, errors_say_what_to_do)
{
    static const struct hint_case cases[] = {
        {"seqpacket", "stream", "hint-seq.sock",
         "the server there is a seqpacket socket: use --type seqpacket"},
        {"seqpacket", "dgram", "hint-seq2.sock",
         "the server there is a seqpacket socket: use --type seqpacket"},
        {"dgram", "stream", "hint-dg.sock", "the server there is a dgram socket: use --type dgram"},
        {"stream", "seqpacket", "hint-st.sock",
         "the server there is a stream socket: use --type stream"},
        {NULL, "stream", "hint-none.sock", "No such file or directory; no server there"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct hint_case *k = &cases[i];
        char path[160];
        struct server s;
        struct proc c;

        sock_path(path, sizeof(path), k->bind);
        if (k->server_type)
            start(&s, k->server_type, path, NULL);
        const char *argv[] = {"unix-client", "--type", k->client_type, path, NULL};
        cr_expect_neq(proc_run(&c, WAIT_MS, argv), 0, "case %zu", i);
        cr_expect(strstr(c.err, k->hint), "case %zu: %s", i, c.err);
        if (k->server_type)
            stop(&s, SIGTERM);
    }
}

/* --json is valid UTF-8 whatever the path's bytes (the review's \xff\xfe broke json.loads). */
Test(unix, json_valid_utf8_for_any_path)
{
    const char *argv[] = {"unix-client", "--json", "unix:/nonexistent/\xff\xfe.sock", NULL};
    json_error_t jerr;
    struct proc c;

    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 69, "%s", c.err);
    json_t *v = json_loads(c.out, 0, &jerr); /* jansson rejects any string that is not UTF-8 */
    cr_assert_not_null(v, "%s: %s", jerr.text, c.out);
    cr_expect_str_eq(json_string_value(json_object_get(v, "server")),
                     "unix:/nonexistent/\xef\xbf\xbd\xef\xbf\xbd.sock");
    json_decref(v);
}

/*
 * --burst of ten 64-byte messages over each type: seqpacket and dgram
 * keep every boundary (ten reads of 64); stream's reads add up to the 640
 * bytes whatever it made of them.
 */
Test(unix, burst_every_type_reads_on_the_server)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char path[256];
        struct server s;
        struct proc c;
        const char *more[] = {"--recv-size", "65536", NULL};
        sock_path(path, sizeof(path), types[i]);
        start(&s, types[i], path, more);
        const char *argv[] = {"unix-client", "--type", types[i], "--burst", "-c", "10",
                              "-s",          "64",     "--json", path,      NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s: %s", types[i], c.err);
        cr_expect(strstr(c.out, "\"sent\":10,\"answered\":10,\"lost\":0,"), "%s", c.out);
        cr_expect(strstr(c.out, "\"rtt_us\":{\"n\":0,"), "%s", c.out);
        stop(&s, SIGTERM);
        struct reads r = server_reads(s.p.err, "unix-server");
        if (strcmp(types[i], "stream") != 0) {
            cr_expect(r.n == 10 && r.smallest == 64 && r.largest == 64,
                      "%s: %llu reads (%llu-%llu)", types[i], r.n, r.smallest, r.largest);
            continue;
        }
        cr_expect(r.n >= 1 && r.smallest * r.n <= 640 && r.largest * r.n >= 640,
                  "stream: %llu reads (%llu-%llu)", r.n, r.smallest, r.largest);
        cr_log_info("unix stream burst of 10 x 64 B: %llu reads (%llu-%llu bytes)", r.n, r.smallest,
                    r.largest);
    }
}

/*
 * Bursts far larger than AF_UNIX's buffers, over stream (10 x 1 MB) and
 * seqpacket (100 records of 65000 bytes: the server stops reading while its
 * replies wait unread, so the client reads them while it sends): nobody
 * waits for ever, and every message is answered.
 */
Test(unix, burst_larger_than_the_buffers_completes)
{
    static const struct {
        const char *type, *count, *size, *done, *in;
    } rows[] = {
        {"stream", "10", "1000000", "10 sent, 10 answered, 0 lost; 10000000 bytes out",
         "bytes in 10000000,"},
        {"seqpacket", "100", "65000", "100 sent, 100 answered, 0 lost; 6500000 bytes out",
         "bytes in 6500000,"},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char path[256];
        struct server s;
        struct proc c;
        const char *more[] = {"--recv-size", "65536", NULL};
        sock_path(path, sizeof(path), rows[i].type);
        start(&s, rows[i].type, path, more);
        const char *argv[] = {"unix-client", "--type",      rows[i].type, "--burst",
                              "-c",          rows[i].count, "-s",         rows[i].size,
                              "-q",          path,          NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s: %s", rows[i].type, c.err);
        cr_expect(strstr(c.out, rows[i].done), "%s: %s", rows[i].type, c.out);
        stop(&s, SIGTERM);
        cr_expect(strstr(s.p.err, rows[i].in), "%s: %s", rows[i].type, s.p.err);
    }
}
