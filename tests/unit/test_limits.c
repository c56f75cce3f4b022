/* test_limits.c — what bounds the memory of hostile input: JSON trees with
 * packed arrays of numbers, the cap on other values, lines past a limit,
 * the input limit on files and streams, the safetensors header cap. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "json_util.h"
#include "line_reader.h"
#include "selfattn.h"

static void test_packs(void)
{
    const char *text = "{\"m\": [[1, 2.5], [3, -4e-3]], \"v\": [1, true, null],"
                       " \"ragged\": [[1], [2, 3]], \"mixed\": [1, \"x\"],"
                       " \"empty\": [], \"eps\": 1e-300, \"s\": \"a\\u00e9\"}";
    cJSON *root = NULL;
    sa_error err;
    CHECK(sa_json_parse(&root, text, strlen(text), &err) == SA_OK, "%s", err.message);
    const sa_json_pack *m = sa_json_packed(cJSON_GetObjectItem(root, "m"));
    CHECK(m && m->ndim == 2 && m->rows == 2 && m->cols == 2 && m->data[1] == 2.5f &&
          m->data[3] == -4e-3f && m->first_bool == SIZE_MAX && m->first_null == SIZE_MAX,
          "a matrix of numbers is one pack");
    const sa_json_pack *v = sa_json_packed(cJSON_GetObjectItem(root, "v"));
    CHECK(v && v->ndim == 1 && v->cols == 3 && v->data[1] == 1.0f &&
          isnan(v->data[2]) && v->first_bool == 1 && v->first_null == 2,
          "true is 1, null NaN, both noted");
    const cJSON *ragged = cJSON_GetObjectItem(root, "ragged");
    CHECK(!sa_json_packed(ragged) && sa_json_length(ragged) == 2 &&
          sa_json_packed(ragged->child) && sa_json_has_rows(ragged),
          "ragged rows: an array of packed vectors");
    float *data;
    size_t rows, cols;
    CHECK(sa_json_rows(&data, &rows, &cols, ragged, false, "W", &err) == SA_ERR_DATA &&
          strcmp(err.message, "W, row 2: 2 values, expected 1 like row 1") == 0,
          "%s", err.message);
    CHECK(sa_json_vector(&data, &rows, cJSON_GetObjectItem(root, "v"), "b", &err) ==
              SA_ERR_DATA && strcmp(err.message, "b, element 2: expected a number") == 0,
          "%s", err.message);
    CHECK(sa_json_rows(&data, &rows, &cols, cJSON_GetObjectItem(root, "m"), false, "W",
                       &err) == SA_OK && rows == 2 && cols == 2 && data[2] == 3.0f,
          "a pack converts to rows");
    free(data);
    const cJSON *mixed = cJSON_GetObjectItem(root, "mixed");
    CHECK(!sa_json_packed(mixed) && cJSON_IsNumber(mixed->child) &&
          cJSON_IsString(mixed->child->next), "a mixed array stays nodes");
    CHECK(cJSON_GetObjectItem(root, "eps")->valuedouble == 1e-300,
          "a number outside packs keeps its double");
    CHECK(strcmp(cJSON_GetObjectItem(root, "s")->valuestring, "a\xC3\xA9") == 0,
          "escapes decoded");
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(root, "empty")) &&
          sa_json_length(cJSON_GetObjectItem(root, "empty")) == 0, "[] stays a node");
    cJSON_Delete(root);

    // values outside packs: at most 4096 and one per 16 bytes
    size_t n = 6000, len = 0;
    char *many = malloc(3 * n + 8);
    many[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(many + len, "%s[]", i ? "," : "");
    many[len++] = ']';
    CHECK(sa_json_parse(&root, many, len, &err) == SA_ERR_DATA &&
          strstr(err.message, "JSON values outside arrays of numbers"), "%s",
          err.message);
    CHECK(root == NULL, "no tree on failure");
    free(many);

    // numbers JSON does not allow, in trees too
    const char *bad[] = {"{\"a\": [01]}", "{\"a\": [1.]}", "{\"a\": -01}", "[1.e5]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(sa_json_parse(&root, bad[i], strlen(bad[i]), &err) == SA_ERR_DATA &&
              strstr(err.message, "invalid JSON number"), "%s: %s", bad[i], err.message);
}

/* A pipe holding text (small enough for the pipe's buffer), read end. */
static int pipe_of(const char *text, size_t len)
{
    int fd[2];
    if (pipe(fd) != 0 || write(fd[1], text, len) != (ssize_t)len)
        abort();
    close(fd[1]);
    return fd[0];
}

static void test_lines(void)
{
    const char text[] = "one\r\n\nthree is long\nfour\0x\nlast";
    int fd = pipe_of(text, sizeof text - 1);
    sa_line_reader r;
    CHECK(sa_line_reader_open(&r, fd), "open");
    char *line;
    size_t len;
    struct { sa_line_status status; const char *text; size_t len; } want[] = {
        {SA_LINE_OK, "one", 3}, {SA_LINE_OK, "", 0}, {SA_LINE_TOO_LONG, NULL, 13},
        {SA_LINE_OK, "four\0x", 6}, {SA_LINE_OK, "last", 4}, {SA_LINE_END, NULL, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        sa_line_status got = sa_read_line(&r, 8, &line, &len);
        CHECK(got == want[i].status && len == want[i].len &&
              (want[i].text ? line && memcmp(line, want[i].text, len) == 0 &&
                              line[len] == '\0' : line == NULL),
              "line %zu: status %d, %zu bytes", i + 1, got, len);
        free(line);
    }
    CHECK(r.consumed == (off_t)(sizeof text - 1) && r.error == 0,
          "every byte consumed: %lld", (long long)r.consumed);
    sa_line_reader_close(&r);
    close(fd);
}

static void test_input_limit(void)
{
    char *text;
    size_t len;
    sa_error err;
    char big[3000];
    memset(big, '1', sizeof big);
    sa_set_input_limit(1024);
    int fd = pipe_of(big, sizeof big);
    CHECK(sa_read_fd(&text, &len, fd, &err) == SA_ERR_DATA && text == NULL &&
          strcmp(err.message, "the input is longer than the input limit of 1 KiB "
                 "(see --max-input)") == 0, "%s", err.message);
    close(fd);
    fd = pipe_of(big, 1024);
    CHECK(sa_read_fd(&text, &len, fd, &err) == SA_OK && len == 1024, "at the limit");
    free(text);
    close(fd);

    // a text file past the limit is refused before reading; .npy is not bounded
    char path[] = "/tmp/test_limits.XXXXXX";
    int tmp = mkstemp(path);
    CHECK(tmp >= 0 && write(tmp, big, sizeof big) == (ssize_t)sizeof big, "temp file");
    close(tmp);
    CHECK(sa_read_file(&text, &len, path, &err) == SA_ERR_DATA &&
          strcmp(err.message, "the file is 2.9 KiB, more than the input limit of "
                 "1 KiB (see --max-input)") == 0, "%s", err.message);
    memcpy(big, "\x93NUMPY", 6);
    tmp = open(path, O_WRONLY | O_TRUNC);
    CHECK(write(tmp, big, sizeof big) == (ssize_t)sizeof big, "rewrite");
    close(tmp);
    CHECK(sa_read_file(&text, &len, path, &err) == SA_OK && len == sizeof big,
          "a binary file takes its own size: %s", err.message);
    free(text);
    unlink(path);
    sa_set_input_limit(0);
    CHECK(sa_input_limit() == SA_INPUT_LIMIT_DEFAULT, "0 restores the default");

    char words[32];
    CHECK(strcmp(sa_format_bytes(words, sizeof words, 1), "1 byte") == 0 &&
          strcmp(sa_format_bytes(words, sizeof words, 1536), "1.5 KiB") == 0 &&
          strcmp(sa_format_bytes(words, sizeof words, 3.0 * (1 << 30)), "3 GiB") == 0,
          "sizes for people: %s", words);
}

static void test_safetensors_header_cap(void)
{
    size_t n = (size_t)SA_SAFETENSORS_HEADER_MAX + 1, len = 8 + n;
    unsigned char *buf = calloc(len, 1);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(n >> (8 * i));
    buf[8] = '{';
    sa_tensor_set set;
    sa_error err;
    CHECK(sa_read_safetensors(&set, buf, len, &err) == SA_ERR_DATA &&
          strstr(err.message, "the safetensors header is 16777217 bytes; at most "
                 "16777216 are read"), "%s", err.message);
    free(buf);
}

int main(void)
{
    sa_json_setup();
    test_packs();
    test_lines();
    test_input_limit();
    test_safetensors_header_cap();
    return check_summary("test_limits");
}
