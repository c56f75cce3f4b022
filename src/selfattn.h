/* selfattn.h — the public interface of libselfattn.
 *
 * Legend for every shape in this library:
 *   n = queries (input rows), d = model width (input columns),
 *   m = keys (context rows; m = n in self-attention), d_ctx = context width,
 *   H = heads, G = key/value heads (G divides H), dh = head width,
 *   P = H * dh (query width), Pkv = G * dh (key/value width),
 *   d_out = output width (columns of Wo, or P without Wo).
 * All matrices are row-major float32: element (i, j) of an (r, c) matrix is
 * data[i * c + j].  (H, n, m) arrays are H consecutive (n, m) matrices.
 *
 * The library never prints and never exits.  Every fallible function returns
 * an sa_status and, on failure, fills the caller's sa_error with a message
 * (without the file name, which the caller knows) and, for parse errors, the
 * line and column where the problem is.
 */
#ifndef SELFATTN_H
#define SELFATTN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The version, "MAJOR.MINOR.PATCH": the one place it is written (the
 * Makefile reads it from here for the shared library's name and
 * selfattn.pc; `selfattn --version` prints it). */
#define SA_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library linked in, SA_VERSION when it was built: a
 * static string.  Compare with SA_VERSION to catch a header and a library
 * of different versions. */
const char *sa_version(void);

/* Status of a library call.  The CLI maps each to one sysexits code. */
typedef enum {
    SA_OK = 0,
    SA_ERR_USAGE,    /* a parameter the caller chose is invalid (EX_USAGE 64) */
    SA_ERR_DATA,     /* malformed or inconsistent input data (EX_DATAERR 65) */
    SA_ERR_NOINPUT,  /* input missing or unreadable (EX_NOINPUT 66) */
    SA_ERR_NOMEM,    /* out of memory (EX_OSERR 71) */
    SA_ERR_CANTCREAT,/* output cannot be created (EX_CANTCREAT 73) */
    SA_ERR_IO,       /* read or write error (EX_IOERR 74) */
    SA_ERR_INTERNAL  /* a bug (EX_SOFTWARE 70) */
} sa_status;

/* Where and why a call failed.  line and col are 1-based; 0 means the error
 * has no position in the text. */
typedef struct {
    sa_status status;
    long line, col;
    char message[512];
} sa_error;

/* Sets err (if not NULL) to status, position and a printf-style message;
 * returns status so callers can write `return sa_fail(err, ...)`. */
sa_status sa_fail(sa_error *err, sa_status status, long line, long col,
                  const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Makes cJSON, which the JSON readers use, allocate through a function
 * that tells an out-of-memory failure (SA_ERR_NOMEM) from a syntax error;
 * without it both are syntax errors.  It sets cJSON's process-wide hooks,
 * so call it once at start-up, before any thread, and only if the program
 * does not set cJSON hooks of its own. */
void sa_json_setup(void);

/* The threads the readers and writers of large texts may use (default
 * 1; 0 means 1).  Process-wide: set it before reading. */
void sa_set_io_threads(size_t threads);
size_t sa_io_threads(void);

/* Seconds on the monotonic clock, for timing phases. */
double sa_seconds(void);

/* Sets line and col to the position of byte offset in text[0 .. len). */
void sa_text_position(const char *text, size_t len, size_t offset,
                      long *line, long *col);

/* ---- matrices read from files ------------------------------------------ */

/* A float matrix with optional row labels. */
typedef struct {
    size_t rows, cols;
    float *data;     /* (rows, cols) */
    char **tokens;   /* (rows) labels, or NULL when the input had none */
} sa_matrix;

/* Allocates a zeroed (rows, cols) matrix without tokens. */
sa_status sa_matrix_new(sa_matrix *m, size_t rows, size_t cols, sa_error *err);
/* Frees data and tokens; safe on a zeroed or already freed matrix. */
void sa_matrix_free(sa_matrix *m);

/* Parses embeddings from JSON text: an array of rows [[...], ...] or an
 * object {"tokens": [...], "embeddings": [[...], ...]}.  On success m owns
 * new memory (free with sa_matrix_free).  Every row must have the same
 * positive length, every value a finite float32.  The object may have no
 * other keys but those starting with '_' (comments, skipped): another key
 * is SA_ERR_DATA at its line:col naming the accepted ones (and the nearest
 * of them, "did you mean"), and so is a key given twice; an object of
 * weights ("Wq", ...) says it holds weights.  On failure m is zeroed and
 * err says why (SA_ERR_DATA, with line:col for syntax errors). */
sa_status sa_read_json_matrix(sa_matrix *m, const char *text, size_t len,
                              sa_error *err);

/* One line of `selfattn batch` (sa_read_batch_line).
 * Legend: n = the line's rows, m = keys, d_ctx = the context's width. */
typedef struct {
    sa_matrix input;        /* (n, d) "embeddings" (or the line's array) and "tokens" */
    char *id;               /* the "id" value's JSON text as written, or NULL */
    unsigned char *mask;    /* (mask_rows, mask_cols) "mask", 0/1 (1 = may
                             * attend), or NULL; its shape is the caller's
                             * to check against n x m */
    size_t mask_rows, mask_cols;
    sa_matrix context;      /* (m, d_ctx) "context" and "context_tokens";
                             * data NULL without one */
} sa_batch_line;

/* As sa_read_json_matrix for one line of `selfattn batch`, whose object
 * may also have "id" (any JSON value), "mask" (rows of 0/1 or
 * false/true), "context" (rows of numbers) and "context_tokens" (one
 * string per context row, only with "context"); each of the last three may
 * be null, the same as absent.  line->id is the id's JSON text exactly as
 * written (bytes that are not UTF-8 as U+FFFD); it is given whenever the
 * line is JSON, also when its data is refused.  Free with
 * sa_batch_line_free, whatever the status. */
sa_status sa_read_batch_line(sa_batch_line *line, const char *text,
                             size_t len, sa_error *err);
void sa_batch_line_free(sa_batch_line *line);

/* Parses embeddings from CSV text: comma-separated rows, lines starting
 * with '#' and blank lines ignored.  Values are separated by commas; by
 * tabs, or else semicolons, if the first line (header or data) has no
 * comma but those, and a later line separated by another of the three is
 * an error at that separator.  A first line with a non-empty,
 * non-numeric value after its first field is a header (skipped); so is a
 * first line with an empty first field (pandas' to_csv), whose data lines
 * then start with labels; so is pandas' to_csv(index=False) header
 * 0,1,...,d-1 when it is the text's very first line and the next line
 * holds d numbers.  Otherwise a non-numeric first field on the first
 * data line means the first column holds token labels (it must then do so
 * on every line).  Fields may be
 * double-quoted ("" is a quote).  Contract and errors as
 * sa_read_json_matrix, with line:col for each. */
sa_status sa_read_csv_matrix(sa_matrix *m, const char *text, size_t len,
                             sa_error *err);

/* Parses a matrix in the format guessed from name and text by
 * sa_guess_file_kind: JSON, CSV or a 2-D .npy array. */
sa_status sa_read_matrix(sa_matrix *m, const char *name, const char *text,
                         size_t len, sa_error *err);

/* As sa_read_matrix on a buffer *text from sa_read_file, but a 2-D .npy of
 * little-endian float32 in C order (on a little-endian machine) becomes
 * m's data without a copy: its numbers move to the start of *text, which
 * m takes over, and *text is set to NULL.  Otherwise, and on errors,
 * *text stays the caller's, unchanged. */
sa_status sa_read_matrix_take(sa_matrix *m, const char *name, char **text,
                              size_t len, sa_error *err);

/* The member names an .npz input is looked for under when it holds more
 * than one array: the input (x, then input) and a context (context). */
extern const char *const sa_input_members[];   /* {"x", "input", NULL} */
extern const char *const sa_context_members[]; /* {"context", NULL} */

/* Reads an input that may be a batch of sequences of one shape, as NumPy
 * holds them: as sa_read_matrix_take, and also a 3-D .npy array
 * (B, n, d), or an .npz archive's array, 2-D or 3-D: its only one, or else
 * the one called by the first of members (NULL-terminated; see
 * sa_input_members) that it holds, exactly one of them.  A 3-D array
 * becomes m with rows B * n, sequence b in rows [b n, (b + 1) n), and
 * *batch = B; a matrix sets *batch to 0.  Another rank, an archive without
 * such a member or with two of members, and the errors of the readers are
 * SA_ERR_DATA.  A 3-D .npy of native float32 is taken without a copy, as
 * sa_read_matrix_take takes a 2-D one. */
sa_status sa_read_input_take(sa_matrix *m, size_t *batch, const char *name,
                             const char *const *members, char **text,
                             size_t len, sa_error *err);

/* Parses rows of numbers: JSON [[...], ...] (true and false as 1 and 0 if
 * allow_bool; what names the matrix in messages), CSV or a 2-D .npy
 * (sa_read_matrix).  Contract as sa_read_json_matrix. */
sa_status sa_read_values(sa_matrix *m, bool allow_bool, const char *what,
                         const char *name, const char *text, size_t len,
                         sa_error *err);

/* Parses an (n, m) attention mask (JSON, CSV or .npy as sa_read_matrix;
 * values 0 or 1, JSON false/true, or a bool .npy; 1 = may attend) into mask, a new (n, m) array of
 * 0/1 bytes the caller frees.  A mask of another shape is SA_ERR_DATA naming
 * both shapes. */
sa_status sa_read_mask(unsigned char **mask, size_t n, size_t m,
                       const char *name, const char *text, size_t len,
                       sa_error *err);

/* As sa_read_mask for a batch of B sequences (batch >= 1), or one
 * sequence (batch 0): an (n, m) mask shared by every sequence
 * (*per_sequence false), or with a batch a 3-D .npy (B, n, m), one mask
 * per sequence (*per_sequence true; mask is then (B, n, m)).  A 3-D mask
 * of another shape, or without a batch, is SA_ERR_DATA naming both
 * shapes; a value other than 0 or 1 names its index ("[1, 0, 3]"). */
sa_status sa_read_batch_mask(unsigned char **mask, bool *per_sequence,
                             size_t batch, size_t n, size_t m, const char *name,
                             const char *text, size_t len, sa_error *err);

/* Parses an additive score bias: an (n, m) matrix for all heads (JSON, CSV
 * or .npy) or, in JSON or .npy, (H, n, m), one matrix per head.  bias is
 * a new array the caller frees; *per_head says which shape it had.  Other
 * shapes are SA_ERR_DATA naming both. */
sa_status sa_read_bias(float **bias, bool *per_head, size_t heads, size_t n,
                       size_t m, const char *name, const char *text,
                       size_t len, sa_error *err);

/* The input limit: the most bytes one input may have when its memory
 * grows with its text: a text file (JSON, CSV), anything read from a pipe
 * or standard input, one line of a batch, one .npz member once inflated.
 * A binary file on disk (.npy, .npz, .safetensors) is not bounded by it:
 * it takes its own size, once.  Process-wide; 0 restores the default. */
#define SA_INPUT_LIMIT_DEFAULT ((size_t)1 << 30)
void sa_set_input_limit(size_t bytes);
size_t sa_input_limit(void);

/* Fails err with SA_ERR_DATA: what ("the file", "the line") has bytes
 * (0: more than arrived before reading stopped), past the input limit. */
sa_status sa_fail_input_limit(sa_error *err, const char *what, size_t bytes);

/* Writes bytes for people ("812 bytes", "1.5 GiB") into buf; returns buf. */
char *sa_format_bytes(char *buf, size_t size, double bytes);

/* Reads the whole file path into a new buffer the caller frees, *len
 * bytes followed by a NUL that no reader needs.  Missing, unreadable or a
 * directory: SA_ERR_NOINPUT; read error: SA_ERR_IO; a text file larger
 * than the input limit: SA_ERR_DATA before anything is read. */
sa_status sa_read_file(char **text, size_t *len, const char *path,
                       sa_error *err);

/* As sa_read_file, from the open descriptor fd (standard input, a pipe)
 * to its end; fd stays open.  A stream stops at the input limit. */
sa_status sa_read_fd(char **text, size_t *len, int fd, sa_error *err);

/* ---- tensors: named arrays in binary and JSON files -------------------- */

#define SA_MAX_DIMS 8

/* Element types as files store them; all are read as float32.  Integers
 * (.npy only) are read when float32 holds them exactly: at most 2^24 in
 * magnitude (SA_INTEGER_EXACT_MAX). */
typedef enum {
    SA_DTYPE_F32, SA_DTYPE_F64, SA_DTYPE_F16, SA_DTYPE_BF16, SA_DTYPE_BOOL,
    SA_DTYPE_I8, SA_DTYPE_I16, SA_DTYPE_I32, SA_DTYPE_I64,
    SA_DTYPE_U8, SA_DTYPE_U16, SA_DTYPE_U32, SA_DTYPE_U64
} sa_dtype;

/* Every integer up to this magnitude is a float32 (and 2^24 + 1 is not). */
#define SA_INTEGER_EXACT_MAX 16777216  /* 2^24 */

/* One named array.  Binary readers leave the bytes where they are (raw
 * points into the caller's file buffer, which must outlive the tensor) and
 * convert on demand with sa_tensor_floats; JSON fills data directly. */
typedef struct {
    char *name;
    sa_dtype dtype;
    bool big_endian;     /* raw bytes are big-endian */
    bool fortran_order;  /* raw elements are in column-major order */
    size_t ndim;         /* 0 to SA_MAX_DIMS */
    size_t shape[SA_MAX_DIMS];
    const unsigned char *raw; /* (numel * element size) bytes, or NULL */
    float *data;         /* (shape) row-major float32, owned, or NULL */
} sa_tensor;

/* ---- what a weights file says about running it ------------------------ */

/* Where a setting of a run came from when the weights gave it, weakest
 * first: what a checkpoint's layout implies (GPT-2 is causal, BERT is not,
 * a known model width has its model's heads), a Hugging Face config.json
 * beside a checkpoint, the file's own config (JSON weights' "config" key,
 * a safetensors file's __metadata__ entry "selfattn.config"). */
typedef enum {
    SA_FROM_NONE, SA_FROM_LAYOUT, SA_FROM_CONFIG_JSON, SA_FROM_CONFIG
} sa_source;

/* "layout", "config.json", "config"; NULL for SA_FROM_NONE. */
const char *sa_source_name(sa_source from);

/* The settings a weights file can carry, in the order reports list them. */
typedef enum {
    SA_SET_HEADS, SA_SET_KV_HEADS, SA_SET_SCALE, SA_SET_CAUSAL, SA_SET_WINDOW,
    SA_SET_SOFTCAP, SA_SET_ROPE, SA_SET_COUNT
} sa_setting;

/* "heads", "kv_heads", "scale", "causal", "window", "softcap", "rope": the
 * keys of a config, as in the config of a result. */
const char *sa_setting_name(sa_setting setting);

/* A weights file's settings.  A setting is given when from[it] is not
 * SA_FROM_NONE; the others' fields are 0.  d_model, d_context and d_head
 * are only checked against the shapes (0: not given). */
typedef struct {
    sa_source from[SA_SET_COUNT];
    size_t heads, kv_heads;      /* H, G */
    float scale;
    bool causal;
    long window;                 /* >= 0 */
    float softcap;               /* > 0 */
    bool rope, rope_neox;        /* rope: rotary positions, of this style */
    float rope_base;
    size_t d_model, d_context, d_head;
} sa_weights_config;

typedef struct {
    sa_tensor *items;    /* (count) */
    size_t count;
    sa_weights_config config;  /* the file's own config, if it has one */
} sa_tensor_set;

void sa_tensor_free(sa_tensor *t);
void sa_tensor_set_free(sa_tensor_set *set);
/* The tensor called name, or NULL. */
const sa_tensor *sa_tensor_find(const sa_tensor_set *set, const char *name);
/* *twin: a name two tensors of set share, or NULL if all differ (sorted,
 * so a set of any size is checked in n log n).  SA_ERR_NOMEM or SA_OK. */
sa_status sa_tensor_set_twin(const char **twin, const sa_tensor_set *set,
                             sa_error *err);
/* The number of elements, or SIZE_MAX if it overflows. */
size_t sa_tensor_numel(const sa_tensor *t);
/* Bytes per element of dtype. */
size_t sa_dtype_size(sa_dtype dtype);
/* "F32", "F64", "F16", "BF16", "BOOL", "I8", "I16", "I32", "I64", "U8",
 * "U16", "U32", "U64" (safetensors' names). */
const char *sa_dtype_name(sa_dtype dtype);

/* Returns a new row-major float32 copy of t's elements (the caller frees
 * it) in *out.  Every value must be finite (SA_ERR_DATA naming the tensor
 * and the flat index otherwise), and every integer at most
 * SA_INTEGER_EXACT_MAX in magnitude (SA_ERR_DATA naming the tensor, the
 * first such element in row-major order by its index, as NumPy writes it,
 * "[1, 0, 3]", and its value). */
sa_status sa_tensor_floats(float **out, const sa_tensor *t, sa_error *err);

/* t's raw bytes as float32 if they already are (little-endian float32 on
 * a little-endian machine, row-major, aligned), else NULL. */
const float *sa_tensor_native_f32(const sa_tensor *t);

/* SA_OK if f[0 .. n) are all finite, else SA_ERR_DATA naming name and the
 * first bad index as sa_tensor_floats does. */
sa_status sa_floats_finite(const float *f, size_t n, const char *name,
                           sa_error *err);

/* Reads a whole .npy array as float32: *data (the caller frees it), its
 * rank *ndim and shape (SA_MAX_DIMS entries).  An empty array is an error. */
sa_status sa_read_npy_array(float **data, size_t *ndim, size_t *shape,
                            const char *text, size_t len, sa_error *err);

/* Parses a NumPy .npy file (format versions 1.0, 2.0, 3.0; dtypes <f4, >f4,
 * <f8, >f8, <f2, >f2, |b1, and the integers i1, i2, i4, i8, u1, u2, u4, u8
 * in either byte order; C or Fortran order; any rank up to SA_MAX_DIMS)
 * held in buf[0 .. len).  t->raw points into buf.  Anything else, and a
 * header whose shape needs more bytes than the file has, is SA_ERR_DATA. */
sa_status sa_read_npy(sa_tensor *t, const unsigned char *buf, size_t len,
                      sa_error *err);

/* Parses a NumPy .npz archive (a zip of NAME.npy members, stored or
 * deflated) into set, one tensor per member named without ".npy".  The
 * members are inflated into memory the tensors own. */
sa_status sa_read_npz(sa_tensor_set *set, const unsigned char *buf,
                      size_t len, sa_error *err);

/* Parses a safetensors file: an 8-byte little-endian header length, a JSON
 * header mapping names to {dtype, shape, data_offsets} (and an optional
 * "__metadata__" of strings, whose "selfattn.config" entry, if any, is a
 * config as JSON weights have it, read into set->config), then the byte
 * buffer.  Enforces the format's
 * rules: the header fits in the file, offsets are within the buffer, each
 * tensor's byte length matches its dtype and shape, and the tensors tile
 * the buffer exactly (no gaps, no overlaps).  Dtypes F32, F64, F16, BF16
 * (and BOOL) are accepted; others are SA_ERR_DATA.  A header longer than
 * SA_SAFETENSORS_HEADER_MAX bytes is refused (a real one is kilobytes). */
#define SA_SAFETENSORS_HEADER_MAX (16 << 20)
sa_status sa_read_safetensors(sa_tensor_set *set, const unsigned char *buf,
                              size_t len, sa_error *err);

/* Parses a JSON object of named arrays (nested arrays of numbers, 1-D or
 * 2-D) into set; keys starting with '_' are skipped, and the key "config",
 * if an object, is read into set->config (sa_weights_config_parse's rules;
 * a "config" of another type is skipped too). */
sa_status sa_read_json_tensors(sa_tensor_set *set, const char *text,
                               size_t len, sa_error *err);

/* Kinds of tensor files, by extension or content. */
typedef enum {
    SA_FILE_JSON, SA_FILE_CSV, SA_FILE_NPY, SA_FILE_NPZ, SA_FILE_SAFETENSORS
} sa_file_kind;

/* The kind of a file: by the extension of name (.json, .csv, .npy, .npz,
 * .safetensors), otherwise by content (NumPy magic, zip magic, a
 * safetensors length prefix followed by '{', JSON's '[' or '{' as the first
 * non-blank character after an optional UTF-8 byte order mark), else CSV. */
sa_file_kind sa_guess_file_kind(const char *name, const char *text, size_t len);

/* "json", "csv", "npy", "npz", "safetensors". */
const char *sa_file_kind_name(sa_file_kind kind);

/* Reads the tensors of a weights file of any kind except CSV into set. */
sa_status sa_read_tensors(sa_tensor_set *set, const char *name,
                          const char *text, size_t len, sa_error *err);

/* What a file holds, read as `selfattn inspect` shows it: a matrix (CSV,
 * or JSON embeddings) or named tensors (weights; an .npy file's one array
 * is called "array"). */
typedef struct {
    sa_file_kind kind;
    bool is_matrix;          /* matrix holds it, else tensors */
    sa_matrix matrix;
    sa_tensor_set tensors;
} sa_file_contents;

/* Reads text (from a file called name) into c, free with
 * sa_file_contents_free (also after a failure). */
sa_status sa_read_contents(sa_file_contents *c, const char *name,
                           const char *text, size_t len, sa_error *err);
void sa_file_contents_free(sa_file_contents *c);

/* Writes data (shape) as a version 1.0 .npy file with dtype <f4. */
sa_status sa_write_npy(FILE *out, const float *data, size_t ndim,
                       const size_t *shape, sa_error *err);

/* One array of an .npz archive being written. */
typedef struct {
    const char *name;     /* member "name.npy" */
    const float *data;    /* (shape) */
    size_t ndim;
    size_t shape[SA_MAX_DIMS];
} sa_npz_entry;

/* Writes entries as an uncompressed .npz (zip) archive that numpy.load
 * reads. */
sa_status sa_write_npz(FILE *out, const sa_npz_entry *entries, size_t count,
                       sa_error *err);

/* ---- weights ----------------------------------------------------------- */

/* Which key names the weights came with. */
typedef enum {
    SA_CONVENTION_MATH,   /* Wq, Wk, Wv, Wo, bq, bk, bv, bo; Q = X Wq */
    SA_CONVENTION_TORCH,  /* nn.MultiheadAttention: in_proj_weight, ... */
    SA_CONVENTION_SEED,   /* generated by sa_weights_generate */
    SA_CONVENTION_GPT2,   /* h.N.attn.c_attn.weight (Conv1D, y = x W + b) */
    SA_CONVENTION_BERT    /* encoder.layer.N.attention.self.query.weight, ... */
} sa_convention;

/* "math", "torch", "seed", "gpt2", "bert". */
const char *sa_convention_name(sa_convention c);

/* Projection weights in the math convention, whatever the source. */
typedef struct {
    size_t d_model;   /* d: rows of Wq */
    size_t d_kv_in;   /* d_ctx: rows of Wk, Wv (= d for self-attention) */
    size_t d_proj;    /* P: columns of Wq (= H * dh) */
    size_t d_kv;      /* Pkv: columns of Wk, Wv (= G * dh) */
    size_t d_out;     /* columns of Wo, or P without Wo */
    float *wq;              /* (d, P) */
    float *wk, *wv;         /* (d_ctx, Pkv) each */
    float *bq;              /* (P), or NULL for no bias */
    float *bk, *bv;         /* (Pkv) each, or NULL */
    float *wo;              /* (P, d_out), or NULL: output = heads concatenated */
    float *bo;              /* (d_out), or NULL */
    sa_convention convention;
    sa_weights_config config; /* what the file says about running them */
    /* where the tensors came from, so that their gradients can be named,
     * laid out and shaped as the file has them (sa_grad_tensors) */
    bool torch_separate;    /* torch: q_proj_weight, ... not in_proj_weight */
    char prefix[16];        /* a checkpoint's model prefix: "", "transformer."
                               or "bert." */
    long layer;             /* a checkpoint's layer (0 otherwise) */
} sa_weights;

/* Builds weights from named tensors, detecting the layout by name:
 *  - a GPT-2 checkpoint: [transformer.]h.N.attn.c_attn.weight (E, 3E),
 *    c_attn.bias (3E), c_proj.weight (E, E), c_proj.bias, Conv1D layout;
 *  - a BERT checkpoint: [bert.]encoder.layer.N.attention.self.{query,key,
 *    value}.{weight,bias} and attention.output.dense.{weight,bias},
 *    nn.Linear layout (y = x W^T + b);
 *  - torch nn.MultiheadAttention names (in_proj_weight, ... or the separate
 *    q_proj_weight, k_proj_weight, v_proj_weight);
 *  - the math convention (Wq, Wk, Wv, Wo, bq, bk, bv, bo).
 * For checkpoints, layer N is used (layer < 0 means 0), a missing layer is
 * SA_ERR_DATA listing the layers present, and other tensors are ignored.
 * For the other layouts any unknown name is an error (a typo would
 * otherwise be silently dropped).  Torch and checkpoint matrices are
 * transposed into the math convention.  Checks that the shapes agree with
 * each other; checking them against the input is sa_weights_check's job.
 * w->config: a checkpoint's layout gives causal (GPT-2 true, BERT false)
 * and, for the width of a known model (GPT-2: 768, 1024, 1280, 1600; BERT:
 * 128, 256, 512, 768, 1024; all with heads of width 64), its heads; the
 * set's config overrides them.  A config that contradicts the shapes (heads
 * that do not divide Wq's columns, key/value heads that do not divide the
 * heads or do not fit Wk's columns, a d_model, d_context or d_head other
 * than the shapes') is SA_ERR_DATA naming the config's key and both numbers.
 * On failure w is zeroed. */
sa_status sa_weights_from_tensors(sa_weights *w, const sa_tensor_set *set,
                                  long layer, sa_error *err);

/* Parses a weights file of any kind (sa_read_tensors) and builds weights
 * from it (sa_weights_from_tensors). */
sa_status sa_weights_load(sa_weights *w, const char *name, const char *text,
                          size_t len, long layer, sa_error *err);

/* Parses weights from a JSON object: sa_weights_load for JSON text. */
sa_status sa_weights_from_json(sa_weights *w, const char *text, size_t len,
                               sa_error *err);

/* Reads a Hugging Face config.json (text) found beside the checkpoint w
 * came from: its heads (GPT-2's "n_head", BERT's "num_attention_heads")
 * become w->config's, from SA_FROM_CONFIG_JSON, unless the file's own
 * config gave them.  A config.json whose "model_type" names another kind
 * of model, or without that key, changes nothing.  Not a JSON object:
 * SA_ERR_DATA (with line:col for a syntax error); heads that are not a
 * positive integer or do not divide the width, or a width ("n_embd",
 * "hidden_size") other than the checkpoint's: SA_ERR_DATA naming both. */
sa_status sa_weights_config_from_hf(sa_weights *w, const char *text,
                                    size_t len, sa_error *err);

/* Generates weights from seed with the project's PRNG (sa_rng): Wq
 * (d_model, heads * d_head), Wk and Wv (d_kv_in, kv_heads * d_head) and, if
 * out_proj, Wo (heads * d_head, d_model), in that order, row-major, each
 * element a * (2u - 1) with u = sa_rng_uniform and a = 1 / sqrt(rows of
 * that matrix); no biases.  The same arguments give the same bits on every
 * platform. */
sa_status sa_weights_generate(sa_weights *w, size_t d_model, size_t d_kv_in,
                              size_t heads, size_t kv_heads, size_t d_head,
                              bool out_proj, uint64_t seed, sa_error *err);

/* Checks that w fits a query input of width d and a key/value input of
 * width d_ctx (= d for self-attention) split into heads and kv_heads: the
 * widths match Wq's and Wk's rows (SA_ERR_DATA naming both shapes), heads
 * divides P and kv_heads divides heads (SA_ERR_USAGE), and Wk has
 * kv_heads * (P / heads) columns (SA_ERR_DATA). */
sa_status sa_weights_check(const sa_weights *w, size_t d, size_t d_ctx,
                           size_t heads, size_t kv_heads, sa_error *err);

/* Writes w as a math-convention JSON object that sa_weights_from_json reads
 * back to the same bits; config, if not NULL, is the text of a JSON value
 * written first under the key "config" (which readers ignore).  Returns
 * SA_ERR_IO if the stream reports an error. */
sa_status sa_weights_write_json(FILE *out, const sa_weights *w,
                                const char *config, sa_error *err);

/* Frees every array of w; safe on a zeroed or already freed struct. */
void sa_weights_free(sa_weights *w);

/* ---- the PRNG ---------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): a 64-bit state, one add and three
 * xor-shift-multiply steps per draw; fully specified, so portable. */
typedef struct { uint64_t state; } sa_rng;

void sa_rng_seed(sa_rng *rng, uint64_t seed);
uint64_t sa_rng_next(sa_rng *rng);
/* Uniform in [0, 1) with 24 random bits, so exactly a float32. */
float sa_rng_uniform(sa_rng *rng);

/* ---- attention --------------------------------------------------------- */

/* How to compute.  The order of operations on the scores, per head h,
 * query i, key j (also in the man page):
 *   s = scale * q.k -> softcap -> + ALiBi -> + bias -> mask (causal and
 *   window and mask) -> softmax -> . v
 * with RoPE applied to q and k before the product and sinusoidal positions
 * added to the input rows before the projections.
 * Make one with sa_config_default() and change the fields you need: every
 * call taking a config refuses one it did not make (a zeroed struct would
 * otherwise mean window 0, each token seeing only itself). */
typedef struct {
    size_t heads;          /* H >= 1, divides P */
    size_t kv_heads;       /* G, divides H; 0 means G = H */
    float scale;           /* multiplies q.k; 0 means 1/sqrt(dh) (sa_config_scale) */
    float softcap;         /* C > 0: s = C tanh(s / C); 0: none */
    bool alibi;            /* s -= m_h |i - j| with sa_alibi_slopes */
    const float *bias;     /* (n, m), or (H, n, m) if bias_per_head, or NULL */
    bool bias_per_head;
    bool causal;           /* key j visible to query i only if j <= i */
    long window;           /* >= 0: only if |i - j| <= window; -1: none */
    const unsigned char *mask; /* (n, m) 1 = may attend, or NULL */
    bool masked_rows_nan;  /* rows with no visible key: NaN (torch) instead of 0 */
    bool rope;             /* rotary positions on q and k */
    bool rope_neox;        /* rotate pairs (t, t + dh/2) instead of (2t, 2t+1) */
    float rope_base;       /* theta_t = base^(-2t/dh); 10000 usually */
    bool pos_sinusoidal;   /* add sa_sinusoidal positions to x first */
    bool keep_weights;     /* fill result.weights (the dense path) */
    bool keep_steps;       /* fill result.q, .k, .v, .scores and the other
                              intermediates (dense) */
    bool keep_grad_steps;  /* sa_attention_grad: fill the grads' per-head
                              steps (dense) */
    size_t threads;        /* threads for products and tiles (0: 1); callers
                              set OpenBLAS to one thread (openblas_set_num_threads)
                              so its pool does not compete with them */
    unsigned magic;        /* SA_CONFIG_MAGIC, set by sa_config_default */
} sa_config;

#define SA_CONFIG_MAGIC 0x53416366u  /* "SAcf" */

/* The usual attention: heads 1, kv_heads 0 (= heads), scale 0 (1/sqrt(dh)),
 * window -1 (none), rope_base 10000 (used only if rope is set), threads 0
 * (one); no softcap, ALiBi, bias, causal or file mask, RoPE or positions;
 * masked rows zero; weights and steps not kept.  The only way to make a
 * config the library accepts: its magic is SA_CONFIG_MAGIC.  Copies of it
 * are fine. */
sa_config sa_config_default(void);

/* SA_OK if cfg (which may be NULL) was made by sa_config_default, else
 * SA_ERR_USAGE "the sa_config was not made by sa_config_default()". */
sa_status sa_config_check(const sa_config *cfg, sa_error *err);

/* The scale the scores use with head width dh > 0: cfg->scale, or
 * 1/sqrt(dh) rounded to float32 when it is 0. */
float sa_config_scale(const sa_config *cfg, size_t dh);

typedef struct {
    size_t n, m, heads, d_head, d_out;
    float *output;   /* (n, d_out) */
    float *weights;  /* (H, n, m) softmax, or NULL unless keep_weights/keep_steps */
    float *q;        /* (H, n, dh) after RoPE, or NULL unless keep_steps */
    float *k, *v;    /* (H, m, dh): the kv head each query head uses, or NULL */
    float *scores;   /* (H, n, m) softmax input (masked = -INFINITY), or NULL */
    /* the other intermediates of the dense path, kept with keep_steps
     * (else NULL); for a query h, i that sees some key,
     * weights = exp_scores / rowsum and concat = [head_output_1 ...]: */
    float *raw_scores;  /* (H, n, m) q.k after RoPE, before the scale or any
                           term (softcap, ALiBi, bias, mask) */
    float *exp_scores;  /* (H, n, m) exp(scores - the row's maximum), in
                           float32; masked keys 0 */
    float *rowsum;      /* (H, n) each row's sum of exp_scores, summed in
                           double; 0 for a query that sees no key */
    float *head_output; /* (H, n, dh) weights_h @ V_g, each head's output */
    float *concat;      /* (n, P) the heads' outputs side by side, the input
                           of the output projection */
    size_t *empty_rows; /* (n_empty_rows) queries with no visible key, ascending */
    size_t n_empty_rows;
    double seconds_project;  /* wall time of the projections (Q, K, V, Wo) */
    double seconds_attend;   /* wall time of scores, softmax and . V */
    double flops;            /* 2 * multiply-adds of every product, nominal
                                (tiles skipped by masking still counted) */
} sa_result;

/* Multi-head attention of the queries x over the keys ctx (self-attention
 * when ctx is NULL: ctx = x, m = n, d_ctx = d):
 *   Q (n, P) = x (n, d) @ Wq + bq ;  K, V (m, Pkv) = ctx (m, d_ctx) @ Wk, Wv + bk, bv
 *   per head h, g = h / (H / G):  A_h (n, m) = softmax(scores(Q_h, K_g)) ;  O_h = A_h V_g
 *   output (n, d_out) = concat_h O_h (n, P) @ Wo (P, d_out) + bo
 * with the scores as described at sa_config.  Softmax subtracts each row's
 * maximum, exponentiates in float32 and sums in double.  A query with no
 * visible key gets zero weights and a zero head output (NaN for both with
 * masked_rows_nan) and is listed in result.empty_rows.
 * With keep_weights or keep_steps every (n, m) matrix is materialised;
 * otherwise a streaming path tiles queries and keys with an online softmax
 * in O(threads * tile^2) memory beyond Q, K, V, on cfg->threads threads
 * (OpenBLAS is set to one thread meanwhile and restored after); the two
 * agree within float32 rounding (1e-5 relative).  Shapes must have
 * passed sa_weights_check; RoPE needs an even dh (SA_ERR_USAGE).  A cfg
 * not made by sa_config_default is SA_ERR_USAGE (sa_config_check).  A result
 * that overflows float32 is SA_ERR_DATA.  On success result owns new arrays
 * (free with sa_result_free); on failure result is zeroed. */
sa_status sa_attention_forward(sa_result *result, const float *x, size_t n,
                               size_t d, const float *ctx, size_t m,
                               size_t d_ctx, const sa_weights *w,
                               const sa_config *cfg, sa_error *err);

void sa_result_free(sa_result *result);

/* How the sequences of a batch share their keys and masks. */
typedef struct {
    size_t count;               /* B >= 1 sequences */
    bool context_per_sequence;  /* ctx is (B, m, d_ctx), a context per
                                   sequence; else (m, d_ctx) for all */
    const unsigned char *masks; /* (B, n, m) a mask per sequence, or NULL:
                                   cfg->mask for all */
} sa_batch;

/* Attention for a batch of B sequences of n queries each, x (B, n, d):
 * sequence b is x[b] (n, d) over the keys ctx[b] with a context per
 * sequence, ctx (m, d_ctx) shared, or itself (ctx NULL), with masks[b] in
 * place of cfg->mask when masks is given; each is computed as
 * sa_attention_forward computes one sequence alone, with the same weights
 * and cfg.  result gets a leading batch axis on every array: output
 * (B, n, d_out), weights and scores (B, H, n, m), q (B, H, n, dh), k and v
 * (B, H, m, dh); n and m are those of one sequence; empty_rows lists
 * b * n + i for query i of sequence b, ascending; flops add up, and the
 * wall time is split between projecting and attending as the sequences'
 * times are.  cfg->threads go over sequences first (min(threads, B) at
 * once, one at a time each), the rest to each sequence's own.  The memory
 * of the B results and of the passes running at once is checked first
 * (SA_ERR_NOMEM past the machine's, with the need).  The first sequence
 * that fails, by index, fails the batch: its status, and its message
 * after "sequence b (counting from 0): ".  On failure result is zeroed. */
sa_status sa_attention_forward_batch(sa_result *result, const float *x,
                                     size_t n, size_t d, const float *ctx,
                                     size_t m, size_t d_ctx, const sa_batch *batch,
                                     const sa_weights *w, const sa_config *cfg,
                                     sa_error *err);
/* ---- gradients ---------------------------------------------------------- */

/* The gradients of L = sum over i, c of dY[i][c] * output[i][c], the
 * backward pass of sa_attention_forward (legend above; dY is n x d_out).
 * Weights' gradients are in the math convention, as w is: sa_grad_tensors
 * names and lays them out as the weights file had them. */
typedef struct {
    size_t n, m, d, d_ctx, heads, d_head;
    double loss;      /* L, summed in double (NaN with NaN rows) */
    float *dx;        /* (n, d) the input rows' gradient */
    float *dctx;      /* (m, d_ctx) the context's, or NULL for self-attention */
    float *dbias;     /* the bias's: (n, m), or (H, n, m) if bias_per_head;
                         NULL without a bias */
    sa_weights dw;    /* dw.wq (d, P), ... as w's shapes; NULL where w has
                         no such tensor; the sizes and source are w's */
    /* with keep_grad_steps, per head h (kv head g), else NULL: */
    float *d_out;     /* (H, n, dh) dO_h, head h's columns of dY Wo^T */
    float *dq;        /* (H, n, dh) of Q_h after RoPE: scale dR_h K_g */
    float *dk, *dv;   /* (H, m, dh) head h's part of the gradient of K_g
                         (after RoPE), V_g: scale dR_h^T Q_h, P_h^T dO_h; the
                         parts of a group's heads add up to K_g's, V_g's */
    float *dp;        /* (H, n, m) of the weights P_h: dO_h V_g^T */
    float *ds;        /* (H, n, m) of the scores (the softmax input S_h):
                         P_h .* (dP_h - rowsum(dP_h .* P_h)) */
    double seconds_backward;  /* wall time of the backward pass */
    double flops_backward;    /* 2 * its multiply-adds, nominal */
} sa_grads;

/* The forward pass of sa_attention_forward (into result, as it documents)
 * and its backward pass (into grads) for the upstream gradient dy (n,
 * d_out), or all ones for dy NULL (L = the sum of the outputs):
 *   dWo = concat^T dY, dbo = colsum dY, dO = dY Wo^T (dY without Wo);
 *   per head h:  dV_g += P_h^T dO_h,  dP_h = dO_h V_g^T,
 *     dS_h = P_h .* (dP_h - rowsum(dP_h .* P_h)),  dbias (+)= dS_h,
 *     dR_h = dS_h .* (1 - tanh^2(r / C)) with a softcap C, else dS_h,
 *     dQ_h = scale dR_h K_g,  dK_g += scale dR_h^T Q_h;
 *   RoPE's rotations transposed on dQ and dK; then dWq = X^T dQ, dbq =
 *   colsum dQ, dX = dQ Wq^T (+ dK Wk^T + dV Wv^T in self-attention, where
 *   the keys are X's rows: otherwise those are the context's), and the
 *   same for K and V; sinusoidal positions pass the gradient unchanged.
 * A query that sees no key passes no gradient; with masked_rows_nan its
 * NaN spreads as autograd spreads it: L; dWo (concat^T dY); every dV and
 * dK, and so dWk, dWv, dbk, dbv; the row's dS, dQ and bias gradient, and
 * so all of dWq and dbq; all of dX in self-attention, the row of dX and all
 * of the context's in cross-attention.  dbo, dO and dP stay finite.
 * With keep_weights, keep_steps or keep_grad_steps the dense path keeps
 * every (n, m) matrix and does the products with cblas_sgemm; otherwise the
 * streaming path saves each query's log-sum-exp in the forward pass and
 * recomputes each tile's weights from it (FlashAttention-2), in memory
 * O(threads * n * P) beyond the pass, on cfg->threads threads: the same
 * bits for the same threads.  Contract and errors as sa_attention_forward;
 * gradients that overflow float32 are SA_ERR_DATA.  On success result and
 * grads own new arrays (free with sa_result_free, sa_grads_free); on
 * failure both are zeroed. */
sa_status sa_attention_grad(sa_result *result, sa_grads *grads,
                            const float *dy, const float *x, size_t n,
                            size_t d, const float *ctx, size_t m,
                            size_t d_ctx, const sa_weights *w,
                            const sa_config *cfg, sa_error *err);

void sa_grads_free(sa_grads *grads);

/* The gradients of the weights w came with, as the file names, lays out
 * and shapes them, in set (free with sa_tensor_set_free): the math names
 * Wq (d, P), ... for math and generated weights; torch's in_proj_weight
 * (3P, d) = [dWq dWk dWv]^T (or q_proj_weight (P, d), ...), in_proj_bias
 * (3P), out_proj.weight (d_out, P), out_proj.bias; a GPT-2 checkpoint's
 * [PREFIX]h.N.attn.c_attn.weight (d, 3P) = [dWq dWk dWv], c_attn.bias,
 * c_proj.weight (P, d_out), c_proj.bias; a BERT checkpoint's
 * [PREFIX]encoder.layer.N.attention.self.query.weight (P, d) = dWq^T, ...,
 * attention.output.dense.weight (d_out, P), .bias.  Only the tensors w
 * has, in that order.  SA_ERR_NOMEM if memory runs out. */
sa_status sa_grad_tensors(sa_tensor_set *set, const sa_weights *w,
                          const sa_weights *dw, sa_error *err);

/* The vector kernels in use, for the softmax rows on both paths and for
 * the streaming path's tile products where the head width is a multiple of
 * 16: "avx512", "avx2" or "generic" (plain loops, and cblas_sgemm per
 * tile).  A static string. */
const char *sa_kernels_name(void);

/* Chooses the vector kernels by name (as sa_kernels_name gives them), or
 * the best this CPU has for NULL or "".  Results differ between sets in
 * the last bits only.  A set the CPU lacks, or an unknown name, is
 * SA_ERR_USAGE and changes nothing.  Not while attending (process-wide). */
sa_status sa_kernels_use(const char *name, sa_error *err);

/* The name of the kernels OpenBLAS chose for this CPU (its core, as
 * OPENBLAS_CORETYPE names them).  A static string. */
const char *sa_blas_name(void);

/* avg (n, m) = mean over h of weights (H, n, m). */
void sa_average_heads(float *avg, const float *weights, size_t heads,
                      size_t n, size_t m);

/* True if key j is hidden from query i by causal (j > i) or by a window
 * (|i - j| > window; window < 0 means none): the one rule the scores and
 * the pictures share. */
static inline bool sa_key_hidden(bool causal, long window, size_t i, size_t j)
{
    return (causal && j > i) ||
           (window >= 0 && (i > j ? i - j : j - i) > (size_t)window);
}

/* ---- positions --------------------------------------------------------- */

/* x (n, d) += PE (n, d) with PE[p, 2i] = sin(p / 10000^(2i/d)) and
 * PE[p, 2i+1] = cos(p / 10000^(2i/d)) ("Attention Is All You Need"). */
void sa_sinusoidal(float *x, size_t n, size_t d);

/* Rotates each dh-wide head of the rows of x (rows, heads * dh; row stride
 * ld) by its row's position p: pairs (2t, 2t+1), or (t, t + dh/2) if neox,
 * by the angle p * base^(-2t/dh) (RoFormer).  dh must be even. */
void sa_rope(float *x, size_t rows, size_t heads, size_t dh, size_t ld,
             float base, bool neox);

/* The gradient through sa_rope: rotates each pair of dx (same shapes) by
 * minus its angle (the transpose of the rotation). */
void sa_rope_transpose(float *dx, size_t rows, size_t heads, size_t dh,
                       size_t ld, float base, bool neox);

/* slopes (H) of ALiBi (Press et al. 2022): 2^(-8(h+1)/H) for H a power of
 * two, otherwise those of the largest power of two n2 <= H followed by every
 * other slope of 2 n2. */
void sa_alibi_slopes(float *slopes, size_t heads);

/* ---- writers ----------------------------------------------------------- */

/* The ends of a picture's colour scale (--vmin, --vmax): each one fixed, or
 * (has_min, has_max false) taken from the values drawn. */
typedef struct {
    bool has_min, has_max;
    float min, max;            /* finite; min < max when both are fixed */
} sa_color_limits;

/* Everything a writer needs to describe a run. */
typedef struct {
    /* what was run */
    size_t n, m, d_model, d_context, heads, kv_heads, d_head, d_out;
    const sa_config *config;   /* the options of the computation, made by
                                  sa_config_default: the writers that print
                                  it (JSON, table) refuse another, as
                                  sa_config_check */
    const char *context_name;  /* --context file, "line" for a batch line's
                                  own, or NULL for self-attention */
    const char *mask_name;     /* mask file, or NULL */
    bool mask_line;            /* a batch line's own "mask" applied too */
    const char *bias_name;     /* bias file, or NULL */
    const char *weights_name;  /* weights file, or NULL when generated */
    uint64_t seed;             /* meaningful when weights_name is NULL */
    long layer;                /* the checkpoint layer used, or -1 */
    sa_convention convention;
    bool out_proj, biases;
    char *const *tokens;       /* (n) query labels, or NULL */
    char *const *key_tokens;   /* (m) key labels, or NULL */
    /* what to print */
    bool print_output, print_weights, print_steps;
    bool print_input;          /* the input rows as given (and the context) */
    bool print_params;         /* the weights in the math convention, as used */
    const float *input;        /* (n, d) the input rows, (B, n, d) for a batch */
    const float *context;      /* (m, d_context) the context's rows, (B, m,
                                  d_context) with context_per_sequence, or
                                  NULL for self-attention */
    bool context_per_sequence;
    const sa_weights *params;  /* the weights printed with print_params */
    bool average_heads;        /* print the average of the heads' weights */
    bool omit_config;          /* JSON without its "config" (--no-config) */
    int digits;                /* decimals in the table format */
    bool color;                /* ANSI colours in the table format */
    bool truecolor;            /* with color, the heat map's colours are
                                  24-bit; else xterm's 256 (sa_colors) */
    sa_color_limits limits;    /* the pictures' colour scale (sa_heatmaps) */
    const sa_result *result;
    const float *average;      /* (n, m) mean of the heads' weights when
                                  average_heads (see sa_average_heads) */
    size_t head;               /* weights and steps of this head only (from
                                  1), or 0: of every head */
    sa_source from_weights[SA_SET_COUNT]; /* the settings the weights file
                                  gave (and the command line did not) */
    size_t batch;              /* B >= 1: result (sa_attention_forward_batch)
                                  and average hold B sequences, and every
                                  matrix printed gains a leading batch axis;
                                  0: one sequence */
    const unsigned char *masks;/* (B, n, m) each sequence's mask when they
                                  differ (sa_batch.masks), or NULL */
    /* selfattn grad: the backward pass, or NULL for a forward report */
    const sa_grads *grads;
    const sa_tensor_set *grad_tensors; /* the weights' gradients as the file
                                          names them (sa_grad_tensors) */
    const char *dy_name;       /* the dY file, or NULL: all ones */
    bool print_grads, print_grad_steps;
} sa_report;

/* Writes the report as one JSON document (keys: config, tokens,
 * key_tokens, output, weights, average_weights, steps; weights and each
 * step are (H, n, m)-shaped, (1, n, m) with head; masked scores and NaN
 * are null), as aligned tables for people, or
 * as CSV blocks each preceded by a "# name" line.  A batch report's arrays
 * have a leading batch axis in JSON (config.batch is B, null without a
 * batch), its tables come under a "sequence b" heading each (from 1), and
 * its CSV rows start with their sequence (from 0).  Numbers in JSON and CSV
 * use the shortest form that reads back as the same float32.  Return
 * SA_ERR_IO if the stream reports a write error, SA_ERR_NOMEM if scratch
 * memory runs out. */
sa_status sa_write_json(FILE *out, const sa_report *report, sa_error *err);
sa_status sa_write_table(FILE *out, const sa_report *report, sa_error *err);
sa_status sa_write_csv(FILE *out, const sa_report *report, sa_error *err);

/* Writes s as a JSON string literal (escaped, valid UTF-8: a byte that is
 * not becomes U+FFFD); a write error shows in out's error flag. */
void sa_write_json_string(FILE *out, const char *s);

/* Writes the report as one compact JSON line, starting with "line": line
 * and, if id is not NULL, "id": id (raw JSON text), for batch runs. */
sa_status sa_write_json_line(FILE *out, const sa_report *report, long line,
                             const char *id, sa_error *err);

/* Writes the report's printed items as NumPy arrays: exactly one in an .npy
 * file (SA_ERR_USAGE otherwise), or all in an .npz archive named output,
 * weights ((H, n, m), or (1, n, m) with head), average_weights ((n, m)),
 * Q, K, V, scores, softmax; each with a leading axis of B for a batch. */
sa_status sa_write_npy_report(FILE *out, const sa_report *report, sa_error *err);
sa_status sa_write_npz_report(FILE *out, const sa_report *report, sa_error *err);

/* Writes the printed items of reports (count, e.g. one input run with
 * several settings) as one .npz archive, each array named after its
 * report's prefix and a slash: "scale=0.125/weights". */
sa_status sa_write_npz_reports(FILE *out, const sa_report *const *reports,
                               const char *const *prefixes, size_t count,
                               sa_error *err);

/* ---- pictures ---------------------------------------------------------- */

/* What a panel of another run has as its own (plot of several results,
 * run --sweep): its labels and what hid its keys. */
typedef struct {
    char *const *row_labels;    /* (rows) query tokens, or NULL: indices */
    char *const *col_labels;    /* (cols) key tokens, or NULL: indices */
    bool causal;                /* cells with j > i are masked */
    long window;                /* >= 0: cells with |i - j| > window masked */
} sa_panel_run;

/* One heatmap: a (rows, cols) matrix with a title such as "head 1". */
typedef struct {
    char title[128];
    size_t rows, cols;
    const float *data;   /* (rows, cols); non-finite values are masked */
    const unsigned char *mask; /* (rows, cols) this panel's 0 = masked, or
                                  NULL: the heatmaps' mask */
    const sa_panel_run *run;   /* its own labels, causal and window, or
                                  NULL: the heatmaps' */
    bool new_row;        /* the SVG starts a row of panels with this one */
} sa_panel;

/* Heatmaps drawn side by side with one colour scale (the panels may
 * differ in shape: each is drawn with its own rows and columns). */
typedef struct {
    const sa_panel *panels;     /* (count) */
    size_t count;
    const char *caption;        /* what is drawn, e.g. "weights" */
    char *const *row_labels;    /* (rows) query tokens, or NULL: indices */
    char *const *col_labels;    /* (cols) key tokens, or NULL: indices */
    bool causal;                /* cells with j > i are masked */
    long window;                /* >= 0: cells with |i - j| > window masked */
    const unsigned char *mask;  /* (rows, cols) 0 = masked, or NULL */
    sa_color_limits limits;     /* fixed ends of the colour scale, if any */
    size_t columns;             /* SVG panels per row (a batch's sequence
                                   per row), or 0: a square grid; a panel
                                   with new_row starts a row before */
} sa_heatmaps;

/* Writes the panels as one self-contained SVG image: a grid of panels with
 * titles, token labels (escaped), cells coloured by viridis with the exact
 * value in a <title> tooltip, masked cells hatched grey, and a colour
 * legend with its range to 3 significant digits ("≤ 0" / "≥ 1" at an
 * end that values beyond it are clamped to), as wide as its longest text.
 * Numbers use the C locale.  Labels are valid XML (invalid UTF-8 and what
 * XML forbids as U+FFFD).  More than SA_SVG_MAX_CELLS cells in all is
 * SA_ERR_USAGE: no browser draws them. */
#define SA_SVG_MAX_CELLS 1000000
sa_status sa_write_svg(FILE *out, const sa_heatmaps *maps, sa_error *err);

/* One result on the interactive page (sa_write_html): a JSON document as
 * sa_write_json writes it (or a saved one that sa_read_result reads), and
 * the file mask it was computed with, if it is known. */
typedef struct {
    const char *json;           /* (json_len) bytes: one JSON object */
    size_t json_len;
    const char *name;           /* what the page calls it (a file), or NULL */
    const unsigned char *mask;  /* (rows, cols) 0 = masked, or NULL */
    size_t rows, cols;          /* the mask's shape: queries n, keys m */
} sa_html_layer;

/* The most cells a page draws: layers x heads x n x m of the heat maps
 * of its matrix view (the weights of each head drawn, or the average).
 * Past it a browser slows to a crawl; callers refuse such a page. */
#define SA_HTML_MAX_CELLS 2000000

/* Writes one self-contained HTML page (inline CSS and script, nothing
 * fetched: its Content-Security-Policy allows no request at all) that
 * draws the results of layers (count >= 1) in a browser: a head view,
 * a matrix view, a model view (layer x head) and a steps view.  Each
 * layer's document is embedded as it is, in a <script
 * type="application/json" class="selfattn-data" data-layer="L"> element
 * (the first one also id="selfattn-data"), with '<', '>' and '&' written
 * \u003c, \u003e, \u0026 (the same JSON, which no token can end early)
 * and bytes that are not UTF-8 as U+FFFD.  limits fix the ends of the
 * matrix and model views' colour scale.  The JSON is not parsed here: the
 * caller gives documents that are JSON objects.  SA_ERR_IO on a write
 * error, SA_ERR_NOMEM if memory runs out. */
sa_status sa_write_html(FILE *out, const sa_html_layer *layers, size_t count,
                        const sa_color_limits *limits, sa_error *err);

/* The page of one report: its JSON document (exactly what sa_write_json
 * writes) as the one layer, with its config's mask and limits.  Needs
 * the weights, the steps or the average printed, and at most
 * SA_HTML_MAX_CELLS cells (SA_ERR_USAGE otherwise, with advice). */
sa_status sa_write_html_report(FILE *out, const sa_report *report, sa_error *err);

/* How a terminal heat map is coloured. */
typedef enum {
    SA_COLORS_NONE,    /* no escapes: the shades " ░▒▓█" */
    SA_COLORS_256,     /* xterm's 256-colour palette: ESC[48;5;Nm */
    SA_COLORS_24BIT,   /* 24-bit "true colour": ESC[48;2;R;G;Bm */
} sa_colors;

/* Writes the panels for a terminal: two characters per cell, background
 * colours (colors) or the shades " ░▒▓█" (SA_COLORS_NONE), masked cells
 * as "··", token labels and a legend with the value range (as the SVG's). */
sa_status sa_write_heatmap_text(FILE *out, const sa_heatmaps *maps,
                                sa_colors colors, sa_error *err);

/* The viridis colour of t in [0, 1] as 0xRRGGBB. */
uint32_t sa_viridis(float t);

/* The index (16 to 255) of the colour of xterm's 256-colour palette
 * nearest to rgb (0xRRGGBB) by Euclidean distance in RGB: the 6 x 6 x 6
 * cube (16 + 36 r + 6 g + b, levels 0, 95, 135, 175, 215, 255) or the grey
 * ramp (232 + k, level 8 + 10 k); of equal distances, the lowest index.
 * The 16 system colours (0 to 15) are left out: terminals redefine them. */
unsigned sa_xterm256(uint32_t rgb);

/* A saved JSON result of `selfattn run`, read back for pictures. */
typedef struct {
    size_t heads, rows, cols;  /* panels, queries n, keys m */
    float *data;               /* (heads, rows, cols); null (masked) is NaN */
    char **row_labels;         /* (rows) tokens, or NULL */
    char **col_labels;         /* (cols) key tokens, or NULL */
    const char *what;          /* "weights", "scores" or "softmax" */
    const char *source_name;   /* the key read: what, or "average_weights" */
    bool averaged;             /* the weights were averaged over heads */
    size_t first_head;         /* the first panel's head, from 0 (config.head
                                  - 1 when the run printed one head) */
    size_t config_heads;       /* the heads of the run (config.heads) */
    char *mask_name;           /* config.mask: the run's --mask file, or NULL */
    bool causal;               /* from config */
    long window;               /* from config, -1 for none */
} sa_saved_result;

/* Parses a result document and takes what = "weights", "average" (the
 * average_weights; or the weights of a result from before that key, whose
 * config says average_heads), "scores" or "softmax" (the last two from
 * "steps"; NULL: weights if printed, else the average, else the softmax
 * step).  A result whose config.head is N holds that head only.  Anything
 * missing or of the wrong shape is SA_ERR_DATA saying what to print, and so
 * is the result of a batch (config.batch, a number).  On failure r is
 * zeroed. */
sa_status sa_read_result(sa_saved_result *r, const char *text, size_t len,
                         const char *what, sa_error *err);
void sa_saved_result_free(sa_saved_result *r);

/* Fills maps and panels (at least heads + 1 entries, times B for a batch)
 * with what the report prints as weights: one panel per head printed, then
 * the average; for a batch, those of each sequence in turn, titled
 * "sequence 1, head 1" (both from 1), each with its sequence's mask, and
 * a row of the SVG per sequence when a sequence has several panels. */
void sa_report_heatmaps(sa_heatmaps *maps, sa_panel *panels,
                        const sa_report *report);

/* Writes the shortest decimal text of the finite f that reads back as the
 * same float32 into buf (at least 32 bytes, NUL-terminated): fixed or
 * scientific notation, whichever is shorter ("0.17206892", "1e-07"). */
void sa_format_float(char *buf, float f);

#ifdef __cplusplus
}
#endif

#endif
