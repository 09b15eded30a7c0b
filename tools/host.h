/*
 * host.h: what this host has, for planning without --target and for checking a description's
 * processors: its online cores, its CPU's model name and its OpenCL devices (asked through the
 * runtime's ocl_list).
 */
#pragma once

#include "passes/target.h"

/* Fills h. Never fails: without an OpenCL platform h->ndev is -1, so that descriptions naming
 * OpenCL devices are refused with that reason; at most TG_MAXPROC devices are listed. Returns
 * h->ndev. */
int host_probe(TargetHost *h);
