/*
 * iterative: one client at a time, the tutorial's server (models.h).
 * Accept, serve that client until its conversation ends, then the next:
 * whoever connects meanwhile waits in the listen backlog, already
 * connected as far as the client can tell, and a client that says nothing
 * holds every other until its timeout ends it.  That wait is the lesson.
 */
#include "models.h"

#include "bserv.h"

int sf_iterative_run(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg,
                     int stop_fd, struct sf_sserv_counters *counters)
{
    struct sf_bserv b;
    struct sf_bconv cv = {0};
    int rc = -1;

    if (sf_bserv_open(err, &b, listen_fd, cfg, stop_fd, counters) < 0 ||
        sf_bconv_init(err, &cv, cfg, stop_fd, NULL, NULL) < 0)
        goto out;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len;
        char peer[SF_ADDR_TEXT_MAX];
        int ready = sf_bserv_wait(err, &b, 1, -1, -1);
        if (ready < 0)
            goto out;
        if (ready & SF_BSERV_STOP)
            break;
        int fd = ready & SF_BSERV_READY ? sf_bserv_accept(&b, &ss, &len) : -1;
        if (fd < 0)
            continue;
        sf_bserv_admitted(&b, fd, &ss, len); /* max_conns and max_per_peer: 1 >= 1 */
        sf_sockaddr_format((const struct sockaddr *)&ss, len, peer, sizeof(peer));
        int stopped = sf_bconv_serve(&cv, fd, peer);
        sf_bserv_add(counters, &cv.tally);
        if (stopped || cfg->once)
            break;
    }
    rc = 0;
out:
    sf_bconv_free(&cv);
    sf_bserv_close(&b);
    return rc;
}
