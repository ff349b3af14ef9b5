// SPDX-License-Identifier: MIT
// Commands that make entries: init, create, set, note, attach. Each entry is
// signed and on disk (fsynced) before the command returns.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "meshlog/coerce.h"
#include "meshlog/error.h"
#include "meshlog/json.h"

static int init_identity(ml_author *a, const char *path, int *created)
{
    int rc = ml_author_load(a, path);
    *created = 0;
    if (rc == 0)
        return 0;
    if (access(path, F_OK) == 0)
        return cli_fail("%s is not a Reticulum identity file (64 bytes): %s", path,
                        ml_strerror(rc));
    if ((rc = ml_author_generate(a)) || (rc = ml_author_save(a, path)))
        return cli_fail("cannot write identity %s: %s", path, ml_strerror(rc));
    *created = 1;
    return 0;
}

int cmd_init(int argc, char **argv)
{
    const cli_cmd *c = cli_find("init");
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                         {"identity", required_argument, NULL, 'i'},
                                         {NULL, 0, NULL, 0}};
    char host[256] = "node", idpath[PATH_MAX], abspath[PATH_MAX];
    const char *name = NULL, *identity = NULL;
    int o;
    while ((o = cli_getopt(c, argc, argv, "", opts)) != -1) {
        if (o == 'n')
            name = optarg;
        else if (o == 'i')
            identity = optarg;
    }
    cli_need_args(c, argc, argv, 0, 0);
    if (!name && gethostname(host, sizeof host - 1) == 0)
        name = host;
    if (!name)
        name = "node";
    if (access(cli_data_path, F_OK) == 0) {
        ml_store *old = NULL;
        char id[33];
        int owned = ml_store_open(&old, cli_data_path, NULL) != 0 ||
                    ml_store_local(old, id, NULL, 0) == 0;
        ml_store_close(old);
        if (owned)
            return cli_fail("%s already exists with an author; choose another --data FILE",
                            cli_data_path);
    }
    snprintf(idpath, sizeof idpath, "%s", identity ? identity : "");
    if (!identity)
        snprintf(idpath, sizeof idpath, "%s.identity", cli_data_path);
    ml_author a;
    int created, ret = 1;
    if (init_identity(&a, idpath, &created))
        return 1;
    if (!realpath(idpath, abspath))
        snprintf(abspath, sizeof abspath, "%s", idpath);
    ml_store_opts so = {1, NULL, NULL, 0, NULL, NULL, 1};
    ml_store *s = NULL;
    int rc = ml_store_open(&s, cli_data_path, &so);
    if (!rc)
        rc = ml_store_init_local(s, &a, name, abspath);
    if (rc) {
        cli_fail("cannot create %s: %s", cli_data_path, s ? ml_store_errmsg(s) : ml_strerror(rc));
        goto out;
    }
    printf("created %s\nauthor   %s (%s)\nidentity %s%s\n", cli_data_path, a.hex, name, abspath,
           created ? " (new)" : " (adopted)");
    ret = 0;
out:
    ml_store_close(s);
    ml_author_wipe(&a);
    return ret;
}

/* Append one local event whose payload is a canonical JSON object. */
static int emit(const char *kind, ml_buf *payload)
{
    ml_store *s;
    ml_author a;
    ml_event ev = {0};
    if (cli_open_author(&s, &a))
        return 1;
    int rc = ml_store_append(s, &a, kind, (const char *)payload->p, payload->len, &ev);
    ml_author_wipe(&a);
    if (rc) {
        cli_fail("could not record the entry: %s", ml_store_errmsg(s));
        ml_store_close(s);
        return 1;
    }
    char id[33];
    ml_id_hex(id, &ev.id);
    printf("%s seq %lld %s\n", kind, (long long)ev.seq, id);
    ml_event_clear(&ev);
    ml_store_close(s);
    return 0;
}

/* Build {"k1": v1, ...} in sorted key order from (key, canonical value) pairs. */
static int put_member(ml_buf *b, const char *key, const char *val, size_t vlen, int first)
{
    int rc = ml_buf_putc(b, first ? '{' : ',');
    if (!rc) rc = ml_json_put_str(b, key, strlen(key));
    if (!rc) rc = ml_buf_putc(b, ':');
    return rc ? rc : ml_buf_append(b, val, vlen);
}

static int put_str_member(ml_buf *b, const char *key, const char *val, int first)
{
    ml_buf v = ML_BUF_INIT;
    int rc = ml_json_put_str(&v, val, strlen(val));
    if (!rc)
        rc = put_member(b, key, (const char *)v.p, v.len, first);
    ml_buf_free(&v);
    return rc;
}

static int bad_text(void)
{
    return cli_fail("arguments must be valid UTF-8 text");
}

int cmd_create(int argc, char **argv)
{
    const cli_cmd *c = cli_find("create");
    char id[33];
    while (cli_getopt(c, argc, argv, "", NULL) != -1) {
    }
    cli_need_args(c, argc, argv, 2, 2);
    ml_store *s;
    if (cli_open(&s))
        return 1;
    int have = ml_store_local(s, id, NULL, 0) == 0;
    ml_store_close(s);
    if (!have)
        return cli_fail("%s has no local author: run 'meshlog init' first", cli_data_path);
    ml_buf p = ML_BUF_INIT;
    int rc = put_str_member(&p, "by", id, 1);
    if (!rc) rc = put_str_member(&p, "form", argv[optind + 1], 0);
    if (!rc) rc = put_str_member(&p, "record_id", argv[optind], 0);
    if (!rc) rc = ml_buf_putc(&p, '}');
    int ret = rc ? bad_text() : emit("record.create", &p);
    ml_buf_free(&p);
    return ret;
}

int cmd_set(int argc, char **argv)
{
    const cli_cmd *c = cli_find("set");
    static const struct option opts[] = {{"string", no_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    int as_string = 0, o;
    while ((o = cli_getopt(c, argc, argv, "", opts)) != -1)
        as_string |= o == 's';
    cli_need_args(c, argc, argv, 3, 3);
    const char *val = argv[optind + 2];
    ml_buf p = ML_BUF_INIT, v = ML_BUF_INIT;
    int rc = as_string ? ml_json_put_str(&v, val, strlen(val)) : ml_coerce_value(&v, val);
    if (rc == ML_ERANGE) {
        ml_buf_free(&v);
        return cli_fail("%s is an integer beyond 64 bits; use 'meshlog set --string' to keep it"
                        " as text", val);
    }
    if (!rc) rc = put_str_member(&p, "field", argv[optind + 1], 1);
    if (!rc) rc = put_str_member(&p, "record_id", argv[optind], 0);
    if (!rc) rc = put_member(&p, "value", (const char *)v.p, v.len, 0);
    if (!rc) rc = ml_buf_putc(&p, '}');
    int ret = rc ? bad_text() : emit("field.set", &p);
    ml_buf_free(&p);
    ml_buf_free(&v);
    return ret;
}

int cmd_note(int argc, char **argv)
{
    const cli_cmd *c = cli_find("note");
    while (cli_getopt(c, argc, argv, "", NULL) != -1) {
    }
    cli_need_args(c, argc, argv, 2, 2);
    ml_buf p = ML_BUF_INIT;
    int rc = put_str_member(&p, "record_id", argv[optind], 1);
    if (!rc) rc = put_str_member(&p, "text", argv[optind + 1], 0);
    if (!rc) rc = ml_buf_putc(&p, '}');
    int ret = rc ? bad_text() : emit("note.add", &p);
    ml_buf_free(&p);
    return ret;
}

static const struct {
    const char *ext, *mime;
} mime_table[] = {
    {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".png", "image/png"},
    {".gif", "image/gif"}, {".webp", "image/webp"}, {".pdf", "application/pdf"},
    {".txt", "text/plain"}, {".csv", "text/csv"}, {".json", "application/json"},
    {".wav", "audio/wav"}, {".mp3", "audio/mpeg"}, {".ogg", "audio/ogg"},
    {".m4a", "audio/mp4"}, {".mp4", "video/mp4"}, {".geojson", "application/geo+json"},
    {".kml", "application/vnd.google-earth.kml+xml"}, {".gpx", "application/gpx+xml"},
};

static const char *guess_mime(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof mime_table / sizeof mime_table[0]; i++)
        if (strcasecmp(dot, mime_table[i].ext) == 0)
            return mime_table[i].mime;
    return "application/octet-stream";
}

static int read_all(const char *path, ml_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_fail("cannot read %s: %s", path, strerror(errno));
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = ml_buf_append(out, chunk, n);
    if (ferror(f) || rc)
        rc = cli_fail("cannot read %s: %s", path, rc ? "out of memory" : strerror(errno));
    fclose(f);
    return rc;
}

int cmd_attach(int argc, char **argv)
{
    const cli_cmd *c = cli_find("attach");
    static const struct option opts[] = {{"mime", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    const char *mime = NULL;
    int o;
    while ((o = cli_getopt(c, argc, argv, "", opts)) != -1)
        if (o == 'm')
            mime = optarg;
    cli_need_args(c, argc, argv, 3, 3);
    const char *path = argv[optind + 2];
    ml_buf data = ML_BUF_INIT, p = ML_BUF_INIT;
    char hash[65], size[32];
    ml_store *s = NULL;
    int ret = 1, rc;
    if (read_all(path, &data) || cli_open(&s))
        goto out;
    if ((rc = ml_store_put_blob(s, data.p, data.len, hash))) {
        cli_fail("cannot store %s: %s", path, ml_store_errmsg(s));
        goto out;
    }
    ml_store_close(s);
    s = NULL;
    snprintf(size, sizeof size, "%zu", data.len);
    rc = put_str_member(&p, "blob_hash", hash, 1);
    if (!rc) rc = put_str_member(&p, "field", argv[optind + 1], 0);
    if (!rc) rc = put_str_member(&p, "mime", mime ? mime : guess_mime(path), 0);
    if (!rc) rc = put_str_member(&p, "record_id", argv[optind], 0);
    if (!rc) rc = put_member(&p, "size", size, strlen(size), 0);
    if (!rc) rc = ml_buf_putc(&p, '}');
    ret = rc ? bad_text() : emit("attachment.add", &p);
out:
    ml_store_close(s);
    ml_buf_free(&data);
    ml_buf_free(&p);
    return ret;
}
