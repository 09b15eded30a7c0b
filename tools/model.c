/*
 * model.c: what the driver's commands share to load a model (--shape, --bind) and to show
 * progress on a terminal.
 */
#include "driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
progress_init(Progress *p)
{
    p->on = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
}

void
progress(const Progress *p, const char *what, const char *name)
{
    if (!p || !p->on)
        return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double s = (double)(t.tv_sec - p->t0.tv_sec) + (double)(t.tv_nsec - p->t0.tv_nsec) / 1e9;
    fprintf(stderr, "hetc: [%.1f s] %s", s, what);
    if (name)
        ir_put_escaped(name, stderr);
    fputc('\n', stderr);
}

int
model_args_init(ModelArgs *ma, const char *cmd, int argc)
{
    memset(ma, 0, sizeof *ma);
    ma->cmd = cmd;
    ma->ov = calloc((size_t)argc + 1, sizeof *ma->ov);
    ma->bind = calloc((size_t)argc + 1, sizeof *ma->bind);
    if (ma->ov && ma->bind)
        return 0;
    fputs("hetc: out of memory\n", stderr);
    return -1;
}

void
model_args_free(ModelArgs *ma)
{
    free(ma->ov);
    free(ma->bind);
}

int
model_arg(ModelArgs *ma, int id, const char *v)
{
    Diag d;
    diag_init(&d, NULL);
    switch (id) {
    case F_SHAPE:
        if (onnx_parse_shape(v, &ma->ov[ma->nov++], &d) < 0)
            return usage_error(ma->cmd, d.msg, NULL), -1;
        return 1;
    case F_BIND:
        if (!strchr(v, '=') || v[0] == '=')
            return usage_error(ma->cmd, "--bind needs NAME=FILE", v), -1;
        ma->bind[ma->nbind++] = v;
        return 1;
    case ARG_POS:
        if (ma->model)
            return usage_error(ma->cmd, "more than one model given", v), -1;
        ma->model = v;
        return 1;
    default:
        return 0;
    }
}

Graph *
model_load(const ModelArgs *ma, const Progress *pr, int *status)
{
    Diag d;
    diag_init(&d, ma->model);
    progress(pr, "loading ", ma->model);
    Graph *g = onnx_load(ma->model, ma->ov, ma->nov, &d);
    for (int i = 0; g && i < ma->nbind && !d.nerr; i++) {
        char name[IR_MAXNAME];
        size_t len = strcspn(ma->bind[i], "=");
        snprintf(name, sizeof name, "%.*s", (int)len, ma->bind[i]);
        onnx_bind_input(g, name, ma->bind[i] + len + 1, &d);
    }
    if (g && !d.nerr)
        progress(pr, "inferring shapes", NULL);
    if (g && !d.nerr && ir_infer(g, &d) == 0 && ir_verify(g, &d) == 0)
        return g;
    fprintf(stderr, "%s\n", d.msg);
    *status = diag_status(&d);
    ir_graph_free(g);
    return NULL;
}
