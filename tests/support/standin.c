/*
 * standin: takes the place of one of the suite's programs in a test of how
 * sockfam starts its children.  It records who it runs as and what it
 * holds (the uid and gid lines, every capability set, no_new_privs, its
 * arguments, and every descriptor open at its start) in
 * $SF_STANDIN_DIR/NAME.PID, then execs the real program of the same name
 * from $SF_STANDIN_REAL, so the run goes on as usual.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t put_fds(char *buf, size_t cap)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    size_t n = (size_t)snprintf(buf, cap, "fds:");

    if (!d)
        return (size_t)snprintf(buf, cap, "fds: unreadable\n");
    while ((e = readdir(d)) != NULL && n < cap)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d)) /* not the listing's own */
            n += (size_t)snprintf(buf + n, cap - n, " %s", e->d_name);
    closedir(d);
    if (n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "\n");
    return n < cap ? n : cap - 1;
}

static size_t put_status(char *buf, size_t cap)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = 0;

    while (f && fgets(line, sizeof(line), f) && n < cap)
        if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) || !strncmp(line, "Cap", 3) ||
            !strncmp(line, "NoNewPrivs:", 11))
            n += (size_t)snprintf(buf + n, cap - n, "%s", line);
    if (f)
        fclose(f);
    return n < cap ? n : cap - 1;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("SF_STANDIN_DIR"), *real = getenv("SF_STANDIN_REAL");
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    char buf[8192], path[4096];
    size_t n;

    if (!dir || !real)
        return 70;
    n = put_fds(buf, sizeof(buf)); /* first: before this program opens anything */
    n += put_status(buf + n, sizeof(buf) - n);
    for (int i = 0; i < argc && n < sizeof(buf); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "argv: ", argv[i]);
    snprintf(path, sizeof(path), "%s/%s.%d", dir, name, (int)getpid());
    FILE *out = fopen(path, "w");
    if (!out || fprintf(out, "%s\n", buf) < 0 || fclose(out) != 0)
        return 71;
    snprintf(path, sizeof(path), "%s/%s", real, name);
    execv(path, argv);
    return 127;
}
