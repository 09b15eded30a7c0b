/*
 * test.h: the unit tests' tiny harness. CHECK(x) records a failure with its line and goes on;
 * TEST_DONE() prints "N passed, N failed" and gives the exit status.
 */
#pragma once

#include <stdio.h>

static int test_pass, test_fail;

#define CHECK(x)                                                                     \
    do {                                                                             \
        if (x) {                                                                     \
            test_pass++;                                                             \
        } else {                                                                     \
            test_fail++;                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #x);    \
        }                                                                            \
    } while (0)

#define TEST_DONE() (printf("%d passed, %d failed\n", test_pass, test_fail), test_fail != 0)
