/* models: the four concurrency models behind one entry point; see models.h. */
#include "models.h"

#include <string.h>

static const char *const names[SF_MODEL_N] = {"epoll", "thread", "fork", "iterative"};

typedef int (*model_fn)(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg,
                        int stop_fd, struct sf_sserv_counters *counters);

static const model_fn runs[SF_MODEL_N] = {sf_sserv_run, sf_threaded_run, sf_forked_run,
                                          sf_iterative_run};

int sf_model_parse(const char *name, enum sf_model *m)
{
    for (int i = 0; i < SF_MODEL_N; i++)
        if (strcmp(name, names[i]) == 0)
            return *m = (enum sf_model)i, 0;
    return -1;
}

const char *sf_model_name(enum sf_model m)
{
    return m >= 0 && m < SF_MODEL_N ? names[m] : "?";
}

int sf_model_run(struct sf_err *err, enum sf_model model, int listen_fd,
                 const struct sf_sserv_config *cfg, int stop_fd, struct sf_sserv_counters *counters)
{
    return runs[model < SF_MODEL_N ? model : SF_MODEL_EPOLL](err, listen_fd, cfg, stop_fd,
                                                             counters);
}
