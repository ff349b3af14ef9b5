// SPDX-License-Identifier: MIT
// Shared pieces of the meshlog command: the subcommand table entry, option
// parsing helpers, and opening the store and the local identity.
#ifndef MESHLOG_CLI_H
#define MESHLOG_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "meshlog/author.h"
#include "meshlog/store.h"

enum { EXIT_USAGE = 2, EXIT_PARTIAL = 3 };

typedef struct cli_cmd {
    const char *name;
    const char *args;        /* synopsis after the name */
    const char *summary;     /* one line for `meshlog --help` */
    const char *help;        /* the rest of `meshlog NAME --help` */
    int (*run)(int argc, char **argv);
} cli_cmd;

extern const char *cli_data_path;   /* --data, $MESHLOG_DATA, or ./meshlog.db */

const cli_cmd *cli_find(const char *name);
void cli_usage(FILE *f, const cli_cmd *c);
/* Parse the options every subcommand shares (--help, --data) plus `extra`
 * (getopt_long format). Returns the option char, -1 at the end, or exits. */
int cli_getopt(const cli_cmd *c, int argc, char **argv, const char *shortopts,
               const struct option *extra);
/* Exactly n positional arguments left, else usage error. */
void cli_need_args(const cli_cmd *c, int argc, char **argv, int min, int max);
/* Print "meshlog: <fmt>" to stderr; returns 1 for `return cli_fail(...)`. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the store (must exist), saying what to do when it does not. */
int cli_open(ml_store **s);
/* Open the store and load the local author's identity. */
int cli_open_author(ml_store **s, ml_author *a);
/* Write all of buf to stdout; 0 or 1 (with a message). */
int cli_write_out(const void *p, size_t n);

int cmd_init(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_note(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_frontier(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_blob(int argc, char **argv);
int cmd_rns(int argc, char **argv);
int cmd_sim(int argc, char **argv);

#endif
