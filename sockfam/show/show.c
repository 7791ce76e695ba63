/*
 * show.c: the command.  `sockfam show` lists the lessons; `sockfam show
 * NAME` makes a private network namespace, captures its lo, runs the
 * lesson's sockets, stops the capture (proved complete by its marker),
 * lets the lesson judge, and prints what it shows, the figures, the ladder
 * and the verdict, or one JSON object.  Exit 0 holds, 1 does not hold here,
 * 64 usage, 71 an error of the machine, 77 without root.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "jout.h"
#include "labwire.h"
#include "ladder.h"
#include "netns.h"
#include "opts.h"
#include "show.h"

enum { OPT_JSON = SF_OPT_LONG, OPT_PCAP };

static const struct sf_opt show_opts[] = {
    {"json", OPT_JSON, NULL, "print one JSON object instead of text"},
    {"pcap", OPT_PCAP, "FILE", "write the lesson's capture to FILE (tcpdump -r reads it)"},
    {"verbose", 'v', NULL, "print each socket call the lesson makes, on stderr"},
    {"help", 'h', NULL, "show this help and exit"},
};

static const struct sf_cmd show_cmd = {
    "[OPTIONS] [LESSON]",
    "Run one of the suite's lessons: real sockets in a private network namespace, lo\n"
    "captured, and what it shows, the figures it measured, the packets that prove it\n"
    "and a verdict. Without LESSON, list them.",
    show_opts,
    sizeof(show_opts) / sizeof(show_opts[0]),
    "Needs root (a private network namespace and CAP_NET_RAW to capture).\n"
    "\n"
    "Exit status: 0 the lesson holds, 1 it does not hold here (the verdict says why),\n"
    "64 usage, 71 OS error, 73 the --pcap file cannot be written, 77 not root.\n",
};

struct show_opts {
    int json, verbose;
    const char *pcap;
};

static int verbose;

static void option(void *ctx, int val, const char *arg)
{
    struct show_opts *o = ctx;

    if (val == OPT_JSON)
        o->json = 1;
    else if (val == OPT_PCAP)
        o->pcap = arg;
    else if (val == 'v')
        o->verbose = 1;
}

void show_fig(struct show_out *o, const char *name, double value, const char *unit, const char *fmt,
              ...)
{
    va_list ap;

    if (o->nfig == SHOW_FIGS)
        return;
    snprintf(o->fig[o->nfig].name, sizeof(o->fig[0].name), "%s", name);
    snprintf(o->fig[o->nfig].unit, sizeof(o->fig[0].unit), "%s", unit);
    o->fig[o->nfig].value = value;
    va_start(ap, fmt);
    vsnprintf(o->fig[o->nfig].text, sizeof(o->fig[0].text), fmt, ap);
    va_end(ap);
    o->nfig++;
}

void show_fails(struct show_out *o, const char *fmt, ...)
{
    va_list ap;

    if (!o->holds)
        return;
    o->holds = 0;
    va_start(ap, fmt);
    vsnprintf(o->why, sizeof(o->why), fmt, ap);
    va_end(ap);
}

void show_step(const char *fmt, ...)
{
    va_list ap;

    if (!verbose)
        return;
    va_start(ap, fmt);
    fprintf(stderr, "sockfam: show: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Every lesson, in the order of the list. */
static const struct lesson *lesson_at(size_t i)
{
    const struct {
        const struct lesson *v;
        size_t n;
    } groups[] = {{lessons_local, nlessons_local},
                  {lessons_tcp, nlessons_tcp},
                  {lessons_nagle, nlessons_nagle},
                  {lessons_unix, nlessons_unix},
                  {lessons_concurrency, nlessons_concurrency},
                  {lessons_lab, nlessons_lab},
                  {lessons_stack, nlessons_stack}};

    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); i -= groups[g++].n)
        if (i < groups[g].n)
            return &groups[g].v[i];
    return NULL;
}

static const struct lesson *find(const char *name)
{
    for (size_t i = 0; lesson_at(i); i++)
        if (strcmp(lesson_at(i)->name, name) == 0)
            return lesson_at(i);
    return NULL;
}

static int list(void)
{
    printf("Lessons (sockfam show NAME runs one):\n");
    for (size_t i = 0; lesson_at(i); i++)
        printf("  %-12s %s\n", lesson_at(i)->name, lesson_at(i)->summary);
    return EX_OK;
}

static void print_text(const struct lesson *l, const struct show_out *o, const struct sf_wire *w)
{
    printf("sockfam show %s: %s\n\n%s\n\nmeasured:\n", l->name, l->summary, l->text);
    for (int i = 0; i < o->nfig; i++)
        if (o->fig[i].text[0]) /* a figure for the JSON alone has no line */
            printf("  %s\n", o->fig[i].text);
    if (o->ladder_first != SIZE_MAX && o->ladder_first < sf_wire_count(w)) {
        size_t max = sf_wire_count(w) - o->ladder_first;
        const struct sf_wire_rec **recs = calloc(max, sizeof(*recs));
        size_t n = recs ? sf_ladder_flow(w, o->ladder_first, recs, max) : 0;
        char *ladder = n ? sf_ladder(NULL, recs, n, o->ladder_head, 0) : NULL;
        printf("\nthe packets that show it:\n%s", ladder ? ladder : "  (none)\n");
        free(ladder);
        free(recs);
    }
    if (o->holds)
        printf("\nverdict: holds\n");
    else
        printf("\nverdict: does not hold here: %s\n", o->why);
}

static void print_json(const struct lesson *l, const struct show_out *o, const struct sf_wire *w)
{
    json_t *figs = json_object();

    for (int i = 0; i < o->nfig; i++)
        json_object_set_new(figs, o->fig[i].name, sf_jreal(o->fig[i].value, 3));
    sf_jout_print(stdout, json_pack("{s:s,s:s,s:o,s:o,s:I,s:s,s:o}", "program", "sockfam show",
                                    "lesson", l->name, "summary", sf_jstr(l->summary), "figures",
                                    figs, "packets", (json_int_t)sf_wire_count(w), "verdict",
                                    o->holds ? "holds" : "does not hold", "why",
                                    o->holds ? json_null() : sf_jstr(o->why)));
}

static struct sf_lab *lab;
static struct sf_wire *far;

const struct sf_wire *show_far(void)
{
    return far;
}

int show_enter(struct sf_err *err, enum sf_lab_ns ns)
{
    return lab ? sf_lab_enter(err, lab, ns) : sf_err_set(err, SF_ERR_INVALID, 0, NULL, "no lab");
}

int show_socket_in(struct sf_err *err, enum sf_lab_ns ns, int domain, int type)
{
    int fd, saved;

    if (!lab)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "no lab");
    if (sf_lab_enter(err, lab, ns) < 0)
        return -1;
    fd = socket(domain, type | SOCK_CLOEXEC, 0);
    saved = errno;
    if (sf_lab_enter(err, lab, SF_LAB_NS) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd < 0 ? sf_err_sys(err, saved, "socket", sf_lab_name(lab, ns)) : fd;
}

static void lab_step(void *ctx, const char *line, int64_t ns)
{
    (void)ctx;
    show_step("lab: %s  (%.1f ms)", line, (double)ns / 1e6);
}

/* The lab and its two captures; NULL with the exit code in *code. */
static struct sf_wire *lab_capture(const struct sf_lab_opts *o, int *code)
{
    struct sf_err err;
    struct sf_wire *w;

    struct sf_lab_opts with = *o;

    with.trace = verbose ? lab_step : NULL; /* -v: the lab's commands too */
    lab = sf_lab_up(&err, &with);
    if (!lab) {
        *code = sf_cli_error(&err);
        return NULL;
    }
    w = lab_router_capture(&err, lab, 0, NULL);
    far = w ? lab_router_capture(&err, lab, 1, NULL) : NULL;
    if (!far) {
        sf_wire_close(w);
        *code = sf_cli_error(&err);
        return NULL;
    }
    return w;
}

static void lab_down(void)
{
    sf_wire_close(far);
    far = NULL;
    if (lab)
        sf_lab_down(NULL, lab);
    lab = NULL;
}

/* The namespace and the capture; NULL with the exit code in *code. */
static struct sf_wire *capture(int *code)
{
    struct sf_wire_opts wo = {.ifname = "lo"};
    struct sf_err err;
    struct sf_wire *w;

    if (geteuid() != 0) {
        sf_cli_warn("the lessons need root: a private network namespace (CAP_SYS_ADMIN) and "
                    "a capture of its lo (CAP_NET_RAW)");
        *code = EX_NOPERM;
        return NULL;
    }
    if (sf_netns_private(&err) < 0) { /* root, and still refused: say why (ENOSPC, ...) */
        *code = sf_cli_error(&err);
        return NULL;
    }
    w = sf_wire_open(&err, &wo);
    if (!w) {
        *code = sf_cli_error(&err);
        return NULL;
    }
    return w;
}

/* Run l, judge it, print it: the exit code. */
static int run(const struct lesson *l, const struct show_opts *o)
{
    struct show_out out = {.holds = 1, .ladder_first = SIZE_MAX};
    struct sf_err err;
    int code = 0, stop = sf_cli_stop_fd(); /* Ctrl-C waits for the (bounded) lesson and the
                                              teardown: nothing is left behind */
    struct sf_wire *w = l->lab ? lab_capture(l->lab, &code) : capture(&code);

    if (!w) {
        lab_down();
        return code;
    }
    show_live_capture(w);
    if (l->run(&err) < 0) {
        sf_wire_close(w);
        lab_down();
        return sf_cli_error(&err);
    }
    /* Both stopped, whatever the first says: a far capture left running is still written to. */
    struct sf_err far_err;
    int near_ok = sf_wire_stop(&err, w, sf_deadline_after_ms(3000)) == 0;
    int far_ok = !far || sf_wire_stop(&far_err, far, sf_deadline_after_ms(3000)) == 0;
    if (!near_ok || !far_ok)
        show_fails(&out, "the capture is incomplete (%s): run it again",
                   near_ok ? far_err.msg : err.msg);
    l->judge(w, &out);
    if (o->json)
        print_json(l, &out, w);
    else
        print_text(l, &out, w);
    code = out.holds ? EX_OK : 1;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        sf_cli_warn("standard output: %s", strerror(errno));
        code = EX_IOERR;
    }
    if (o->pcap && sf_wire_write_file(&err, w, o->pcap) < 0) {
        sf_cli_warn("%s", err.msg);
        code = EX_CANTCREAT;
    }
    sf_wire_close(w);
    lab_down();
    if (sf_cli_stopped(stop)) {
        sf_cli_warn("interrupted; the lesson's sockets and namespaces are gone");
        return 130;
    }
    return code;
}

int show_main(int argc, char **argv)
{
    struct show_opts o = {0};
    int first = sf_opts_parse(&show_cmd, argc, argv, option, &o);
    const struct lesson *l;

    verbose = o.verbose;
    if (first >= argc)
        return list();
    if (first + 1 < argc)
        sf_cli_usage_error("one lesson at a time: '%s' after '%s'", argv[first + 1], argv[first]);
    l = find(argv[first]);
    if (!l)
        sf_cli_usage_error("no lesson '%s' (sockfam show lists them)", argv[first]);
    return run(l, &o);
}
