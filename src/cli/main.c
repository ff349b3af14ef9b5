// SPDX-License-Identifier: MIT
// meshlog: the field worker's command. A table of subcommands drives both
// dispatch and --help; each subcommand lives in its own cmd_*.c file.
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "meshlog/error.h"

const char *cli_data_path;

static const cli_cmd commands[] = {
    {"init", "[--name NAME] [--identity FILE]", "create a store and its author identity",
     "Creates the store and opens this node's signed feed. Without --identity a new\n"
     "Reticulum identity is written next to the store (STORE.identity, mode 0600);\n"
     "with --identity FILE an existing RNS identity file is adopted (or created there).\n"
     "  --name NAME       display name carried in the feed.open event (default: host name)\n",
     cmd_init},
    {"create", "RID FORM", "create a record", "Emits record.create {record_id, form, by}.\n",
     cmd_create},
    {"set", "[--string] RID FIELD VALUE", "set a field (last writer wins)",
     "VALUE is coerced as the seed does: true/false, an integer, a float, else text.\n"
     "  --string          keep VALUE as text, whatever it looks like\n",
     cmd_set},
    {"note", "RID TEXT", "add a note to a record", "Emits note.add {record_id, text}.\n",
     cmd_note},
    {"attach", "[--mime TYPE] RID FIELD FILE", "attach a file to a record",
     "Stores FILE as a content-addressed blob (SHA-256) and emits attachment.add\n"
     "{record_id, field, blob_hash, size, mime}. The MIME type is guessed from the\n"
     "file name unless --mime is given.\n",
     cmd_attach},
    {"view", "[RID]", "print the dataset (or one record) as JSON",
     "Prints exactly what the seed's view prints: json.dumps(view, indent=2, sort_keys=True).\n",
     cmd_view},
    {"frontier", "", "print the highest contiguous seq per author",
     "One JSON object {author: seq}, sorted by author.\n", cmd_frontier},
    {"log", "[--author A] [--record RID] [--limit N] [--oldest-first] [--json]",
     "list events, newest first",
     "  --author A        only events of author A\n"
     "  --record RID      only events about record RID\n"
     "  --limit N         at most N events\n"
     "  --oldest-first    oldest first instead\n"
     "  --json            one JSON line per event, in the export format\n",
     cmd_log},
    {"import", "[--legacy] FILE.jsonl", "import events from a JSONL log ('-' for stdin)",
     "Reads the seed's line format {\"a\",\"s\",\"h\",\"k\",\"p\",\"v\",\"i\"} (+ \"g\" signature).\n"
     "Every event is checked (id, chain, signature); each refused or held one is\n"
     "reported with its line and reason. Exit status 3 if any was refused or held.\n"
     "  --legacy          accept unsigned seed logs; their authors are marked unsigned\n",
     cmd_import},
    {"export", "[--csv] [-o FILE]", "export all events as JSONL, or the view as CSV",
     "  --csv             one row per record, a column per field\n"
     "  -o, --output FILE write to FILE (atomically) instead of stdout\n",
     cmd_export},
    {"verify", "", "re-check every chain, id, signature and the view",
     "Read-only. Exit status 0 when the store is sound, 1 when a problem was found.\n",
     cmd_verify},
    {"status", "[--json]", "show this node, the feeds it holds and refusal counters", "",
     cmd_status},
    {"blob", "HASH [-o FILE]", "write a stored attachment blob to stdout or FILE", "",
     cmd_blob},
    {"rns", "SUBCOMMAND [OPTIONS]", "Reticulum probe: echo, listen, link",
     "  echo      serve an echo destination (links, proofs, /echo requests)\n"
     "  listen    print announces as JSON lines\n"
     "  link      open a link to DEST, send, print rtt_ms and reply\n"
     "'meshlog rns SUBCOMMAND --help' describes one.\n",
     cmd_rns},
    {"sim", "SCENARIO [--seed N] [--json] [--quiet] [--verbose] [--keep DIR]",
     "run a scenario in the deterministic radio-mesh simulator",
     "SCENARIO is a file, or a name (basecamp, lan, chaos) looked up in\n"
     "$MESHLOG_SCENARIOS, ./scenarios, then ../scenarios from the meshlog binary's\n"
     "directory. Each node has a real store, author and sync engine;\n"
     "links model bit rate, latency, MTU, loss, duplicates, reordering and duty\n"
     "cycle. Exit status 0 only when every node ends with the same frontier and view.\n"
     "  --seed N          every random draw derives from N (default: the scenario's)\n"
     "  --json            print one JSON object of figures instead of the story\n"
     "  --quiet           only the final figures, not each contact\n"
     "  --verbose         also the sync engines' log lines (stderr)\n"
     "  --keep DIR        keep the nodes' stores in DIR (DIR/NODE.db)\n",
     cmd_sim},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

const cli_cmd *cli_find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void main_usage(FILE *f)
{
    fprintf(f, "usage: meshlog [--data FILE] COMMAND [ARGS]\n\n"
               "meshlog keeps a signed, event-sourced dataset that converges over radio meshes.\n"
               "The store is --data FILE, else $MESHLOG_DATA, else ./meshlog.db.\n\n"
               "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'meshlog COMMAND --help' describes one command.\n");
}

void cli_usage(FILE *f, const cli_cmd *c)
{
    fprintf(f, "usage: meshlog [--data FILE] %s %s\n\n%s.\n", c->name, c->args, c->summary);
    if (c->help[0])
        fprintf(f, "\n%s", c->help);
    fprintf(f, "  --data FILE       the store (default $MESHLOG_DATA, else ./meshlog.db)\n"
               "  -h, --help        this help\n");
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("meshlog: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int cli_getopt(const cli_cmd *c, int argc, char **argv, const char *shortopts,
               const struct option *extra)
{
    struct option all[24];
    size_t n = 0;
    for (; extra && extra[n].name && n < 20; n++)
        all[n] = extra[n];
    all[n++] = (struct option){"help", no_argument, NULL, 'h'};
    all[n++] = (struct option){"data", required_argument, NULL, 0x100};
    all[n] = (struct option){NULL, 0, NULL, 0};
    char so[64];
    snprintf(so, sizeof so, "+h%s", shortopts);
    for (;;) {
        int o = getopt_long(argc, argv, so, all, NULL);
        if (o == 'h') {
            cli_usage(stdout, c);
            exit(0);
        }
        if (o == 0x100) {
            cli_data_path = optarg;
            continue;
        }
        if (o == '?') {
            fprintf(stderr, "\n");
            cli_usage(stderr, c);
            exit(EXIT_USAGE);
        }
        return o;
    }
}

void cli_need_args(const cli_cmd *c, int argc, char **argv, int min, int max)
{
    int left = argc - optind;
    (void)argv;
    if (left >= min && left <= max)
        return;
    fprintf(stderr, "meshlog %s: expected %s\n\n", c->name,
            left < min ? "more arguments" : "fewer arguments");
    cli_usage(stderr, c);
    exit(EXIT_USAGE);
}

int cli_open(ml_store **s)
{
    /* MESHLOG_MAX_SKEW_MS bounds how far ahead a peer's clock may drag ours */
    const char *skew = getenv("MESHLOG_MAX_SKEW_MS");
    ml_store_opts o = {0, NULL, NULL, skew ? strtoll(skew, NULL, 10) : 0, NULL, NULL, 1};
    int rc = ml_store_open(s, cli_data_path, &o);
    if (rc == ML_ENOTFOUND)
        return cli_fail("no store at %s: run 'meshlog init' first, or pass --data FILE",
                        cli_data_path);
    if (rc)
        return cli_fail("cannot open %s: %s", cli_data_path, ml_strerror(rc));
    ml_store_map_reads(*s);   /* a command is short-lived: fast cold reads win */
    return 0;
}

int cli_open_author(ml_store **s, ml_author *a)
{
    char id[33], path[4096];
    if (cli_open(s))
        return 1;
    if (ml_store_local(*s, id, path, sizeof path) != 0) {
        ml_store_close(*s);
        return cli_fail("%s has no local author: run 'meshlog init' first", cli_data_path);
    }
    int rc = ml_author_load(a, path);
    if (rc == 0 && strcmp(a->hex, id) != 0)
        rc = ML_EINVAL;
    if (rc) {
        ml_store_close(*s);
        ml_author_wipe(a);
        return cli_fail("cannot use identity %s for author %s: %s", path, id,
                        rc == ML_EINVAL ? "it is a different identity" : ml_strerror(rc));
    }
    return 0;
}

int cli_write_out(const void *p, size_t n)
{
    if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0)
        return cli_fail("writing output: %s", strerror(errno));
    return 0;
}

int main(int argc, char **argv)
{
    cli_data_path = getenv("MESHLOG_DATA");
    if (!cli_data_path || !*cli_data_path)
        cli_data_path = "meshlog.db";
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            cli_data_path = argv[++i];
        } else if (strncmp(argv[i], "--data=", 7) == 0) {
            cli_data_path = argv[i] + 7;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            main_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            puts("meshlog 0.1.0");
            return 0;
        } else {
            fprintf(stderr, "meshlog: unknown option %s\n\n", argv[i]);
            main_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        main_usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        const cli_cmd *c = i + 1 < argc ? cli_find(argv[i + 1]) : NULL;
        if (c)
            cli_usage(stdout, c);
        else
            main_usage(stdout);
        return 0;
    }
    const cli_cmd *c = cli_find(argv[i]);
    if (!c) {
        fprintf(stderr, "meshlog: unknown command '%s'\n\n", argv[i]);
        main_usage(stderr);
        return EXIT_USAGE;
    }
    optind = 1;
    return c->run(argc - i, argv + i);
}
