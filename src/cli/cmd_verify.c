// SPDX-License-Identifier: MIT
// meshlog verify: the store re-checks itself, read-only, and says what it found.
#include <stdio.h>

#include "cli.h"
#include "meshlog/error.h"

static void on_problem(void *ctx, const char *msg)
{
    (void)ctx;
    printf("  %s\n", msg);
}

int cmd_verify(int argc, char **argv)
{
    const cli_cmd *c = cli_find("verify");
    while (cli_getopt(c, argc, argv, "", NULL) != -1) {
    }
    cli_need_args(c, argc, argv, 0, 0);
    ml_store *s;
    if (cli_open(&s))
        return 1;
    ml_verify_report rep;
    int rc = ml_store_verify(s, &rep, on_problem, NULL);
    if (rc && rc != ML_ECORRUPT) {
        cli_fail("verify could not run: %s", ml_store_errmsg(s));
    } else {
        printf("%lld events in %lld feeds, %lld signatures checked, view matches a fresh fold: %s\n",
               (long long)rep.events, (long long)rep.authors, (long long)rep.signatures_checked,
               rc ? "see problems above" : "yes");
        printf("%s\n", rc ? "FAILED: the store does not verify (it was not changed)" : "OK");
    }
    ml_store_close(s);
    return rc ? 1 : 0;
}
