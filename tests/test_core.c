// SPDX-License-Identifier: MIT
// Small core pieces: the hybrid logical clock (the seed's rules plus the skew
// bound), the seed's CLI value coercion, and the author's identity file.
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "meshlog/author.h"
#include "meshlog/coerce.h"
#include "meshlog/error.h"
#include "meshlog/hlc.h"
#include "testutil.h"

static int64_t now_ms;
static int64_t clock_fn(void *ctx)
{
    (void)ctx;
    return now_ms;
}

static void test_hlc(void **state)
{
    (void)state;
    ml_hlc h;
    ml_hlc_init(&h, clock_fn, NULL);
    now_ms = 1000;
    ml_stamp a = ml_hlc_now(&h);
    assert_int_equal(a.wall, 1000);
    assert_int_equal(a.counter, 0);
    ml_stamp b = ml_hlc_now(&h);   /* same millisecond: the counter moves */
    assert_int_equal(b.wall, 1000);
    assert_int_equal(b.counter, 1);
    now_ms = 900;                  /* wall clock stepped back: never go back */
    ml_stamp c = ml_hlc_now(&h);
    assert_int_equal(c.wall, 1000);
    assert_int_equal(c.counter, 2);
    /* a remote stamp ahead (within the bound) pulls the clock forward */
    assert_int_equal(ml_hlc_update(&h, (ml_stamp){5000, 7}), 0);
    assert_int_equal(h.last.wall, 5000);
    assert_int_equal(h.last.counter, 8);
    /* equal walls: max counter + 1 */
    assert_int_equal(ml_hlc_update(&h, (ml_stamp){5000, 20}), 0);
    assert_int_equal(h.last.counter, 21);
    /* physical time ahead of both: counter resets */
    now_ms = 9000;
    assert_int_equal(ml_hlc_update(&h, (ml_stamp){6000, 3}), 0);
    assert_int_equal(h.last.wall, 9000);
    assert_int_equal(h.last.counter, 0);
    /* beyond the skew bound: reported, clock untouched */
    h.max_skew_ms = 1000;
    assert_int_equal(ml_hlc_update(&h, (ml_stamp){20000, 0}), 1);
    assert_int_equal(h.last.wall, 9000);
}

static void expect(const char *in, const char *out)
{
    ml_buf b = ML_BUF_INIT;
    assert_int_equal(ml_coerce_value(&b, in), 0);
    assert_string_equal((const char *)b.p, out);
    ml_buf_free(&b);
}

static void test_coerce(void **state)
{
    (void)state;
    expect("true", "true");
    expect("FALSE", "false");
    expect("12", "12");
    expect(" -7 ", "-7");
    expect("+5", "5");
    expect("007", "7");
    expect("1_000", "1000");
    expect("1__0", "\"1__0\"");
    expect("2.50", "2.5");
    expect("1e5", "100000.0");
    expect(".5", "0.5");
    expect("5.", "5.0");
    expect("1e16", "1e+16");
    expect("nan", "\"nan\"");
    expect("inf", "\"inf\"");
    expect("1e999", "\"1e999\"");
    expect("0x10", "\"0x10\"");
    expect("hello", "\"hello\"");
    expect("caf\xc3\xa9", "\"caf\\u00e9\"");
    expect("", "\"\"");
    ml_buf b = ML_BUF_INIT;
    assert_int_equal(ml_coerce_value(&b, "99999999999999999999"), ML_ERANGE);
    assert_int_equal(ml_coerce_value(&b, "bad\xff"), ML_EMALFORMED);
    ml_buf_free(&b);
}

/* The author file is an RNS identity file: saved once (never replaced),
 * 0600, loaded back to the same author; a wrong size is refused. */
static void test_author_file(void **state)
{
    (void)state;
    ml_author a, b, c;
    char path[512];
    struct stat st;
    FILE *f;

    assert_int_equal(ml_author_generate(&a), 0);
    assert_int_equal(ml_author_generate(&b), 0);
    snprintf(path, sizeof path, "%s/author.identity", tu_tmpdir());
    assert_int_equal(ml_author_save(&a, path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 64);
    assert_int_equal(ml_author_save(&b, path), ML_EEXIST);
    assert_int_equal(ml_author_load(&c, path), 0);
    assert_string_equal(c.hex, a.hex);
    assert_memory_equal(c.priv, a.priv, 64);
    snprintf(path, sizeof path, "%s/short.identity", tu_tmpdir());
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(a.priv, 1, 63, f), 63);
    fclose(f);
    assert_int_equal(ml_author_load(&c, path), ML_EMALFORMED);
    snprintf(path, sizeof path, "%s/missing.identity", tu_tmpdir());
    assert_int_equal(ml_author_load(&c, path), ML_EIO);
    ml_author_wipe(&a);
    ml_author_wipe(&b);
    ml_author_wipe(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hlc),
        cmocka_unit_test(test_coerce),
        cmocka_unit_test(test_author_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
