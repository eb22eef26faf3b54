/* The topology comparison of fontgen.font.topology (`compare_many` after the resize), in C.

The numpy path there is the reference; this gives the same TopologyDiff areas at a fraction of the
cost, which the font check pays once per glyph. It never labels pixels: a reading of a map (ink is
value >= threshold) is held as runs, the stretches of one kind in a row, joined to the touching runs
of the row above by union-find (ink 8-connected, paper 4-connected). Two readings are matched by
walking their runs side by side, each overlap of two runs of one kind being a pair of regions that
share a pixel, so the rules of `_diff` need no table of label pairs, however speckled the maps. Pixels
are read 16 at a time (SSE2) or 8 (a compare within a 64-bit word), both readings in one pass.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct {
    int32_t x0, x1; /* the run is pixels x0 .. x1 - 1 of its row */
    int32_t label;  /* union-find parent while labelling, then its region */
    int32_t ink;    /* 1 or 0 (INK below) */
} Run;

/* What a region is (Reading.kind), and what it shares a pixel with in another reading (Side.met). */
enum {
    INK = 1,    /* ink; met: shares ink with an ink region */
    KEPT = 2,   /* ink of at least `least` pixels; met: … with a kept one */
    BORDER = 4, /* paper that reaches the map's edge, the outside; met: shares paper with it */
    HOLE = 8,   /* paper of at least `least` pixels that does not; met: shares paper with one */
    MULTI = 16, /* met only: shares ink with two kept ink regions or more */
};

/* One reading of a map: its runs and, once labelled, its regions. */
typedef struct {
    Run *runs;
    int32_t *row; /* row y's runs are row[y] .. row[y + 1] - 1 */
    int32_t n_runs, cap;
    int32_t n;     /* regions */
    int64_t *area; /* [n], NULL until labelled */
    uint8_t *kind; /* [n] */
} Reading;

typedef struct {
    Py_ssize_t h, w;
    unsigned bold, thin;
    int64_t least;
} Maps;

static void reading_free(Reading *r)
{
    PyMem_Free(r->runs);
    PyMem_Free(r->row);
    PyMem_Free(r->area); /* one block with kind */
    memset(r, 0, sizeof *r);
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)

/* Eight pixels, the first in the low byte (one load on little-endian machines). */
static inline uint64_t load8(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* Bit i set where byte i of `v` is >= t (1 <= t <= 255): a per-byte compare with no carry from byte
   to byte, its high bits gathered into the low byte. */
static inline uint64_t ink_bits(uint64_t v, unsigned t)
{
    uint64_t low = v & ~HIGH, high;
    if (t <= 128)
        high = (v | (low + (128 - t) * ONES)) & HIGH;
    else
        high = v & (low + (256 - t) * ONES) & HIGH;
    return ((high >> 7) * UINT64_C(0x0102040810204080)) >> 56;
}

static inline int lowest_bit(uint64_t v) /* v != 0 */
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(v);
#else
    int b = 0;
    while (!(v & 1)) {
        v >>= 1;
        b++;
    }
    return b;
#endif
}

static int reserve(Reading *r, int32_t need)
{
    if (need <= r->cap)
        return 0;
    int64_t cap = (int64_t)r->cap * 2 > need ? (int64_t)r->cap * 2 : need;
    if (cap > INT32_MAX)
        cap = INT32_MAX;
    Run *runs = PyMem_Realloc(r->runs, (size_t)cap * sizeof(Run));
    if (!runs) {
        PyErr_NoMemory();
        return -1;
    }
    r->runs = runs;
    r->cap = (int32_t)cap;
    return 0;
}

/* Where a reading's row stands while it is read: its open run, from x0. */
typedef struct {
    Reading *r;
    int32_t n, x0;
    int ink;
} Cursor;

/* Closes a run at each set bit of `edges` (bit b: pixel x + b differs from the pixel before it). */
static inline void cut(Cursor *c, uint64_t edges, Py_ssize_t x)
{
    Run *runs = c->r->runs;
    while (edges) {
        int32_t x1 = (int32_t)(x + lowest_bit(edges));
        runs[c->n] = (Run){c->x0, x1, c->n, c->ink};
        c->n++;
        c->x0 = x1;
        c->ink = !c->ink;
        edges &= edges - 1;
    }
}

/* The runs of the map's bold and thin readings, unlabelled: 64 pixels a step, runs cut at the changes. */
static int read_runs(Reading *bold, Reading *thin, const Maps *m, const uint8_t *map)
{
    Py_ssize_t h = m->h, w = m->w;
    Reading *both[2] = {bold, thin};
    int32_t guess = (int32_t)(w + 8 * h < h * w ? w + 8 * h : h * w);
    for (int k = 0; k < 2; k++)
        if (!(both[k]->row = PyMem_Malloc((size_t)(h + 1) * sizeof(int32_t))) || reserve(both[k], guess) < 0) {
            if (!both[k]->row)
                PyErr_NoMemory();
            return -1;
        }
    Cursor cb = {bold, 0, 0, 0}, ct = {thin, 0, 0, 0};
#ifdef __SSE2__
    __m128i vb = _mm_set1_epi8((char)m->bold), vt = _mm_set1_epi8((char)m->thin);
#endif
    for (Py_ssize_t y = 0; y < h; y++) {
        const uint8_t *p = map + y * w;
        if (reserve(bold, cb.n + (int32_t)w) < 0 || reserve(thin, ct.n + (int32_t)w) < 0)
            return -1;
        bold->row[y] = cb.n;
        thin->row[y] = ct.n;
        cb.x0 = ct.x0 = 0;
        cb.ink = p[0] >= m->bold;
        ct.ink = p[0] >= m->thin;
        uint64_t before_b = cb.ink, before_t = ct.ink; /* the pixel before the step's first */
        for (Py_ssize_t x = 0; x < w; x += 64) {
            Py_ssize_t len = w - x < 64 ? w - x : 64, k = 0;
            uint64_t ib = 0, it = 0;
#ifdef __SSE2__
            for (; k + 16 <= len; k += 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(p + x + k));
                ib |= (uint64_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, vb), v)) << k;
                it |= (uint64_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, vt), v)) << k;
            }
#endif
            for (; k + 8 <= len; k += 8) {
                uint64_t v = load8(p + x + k);
                ib |= ink_bits(v, m->bold) << k;
                it |= ink_bits(v, m->thin) << k;
            }
            for (; k < len; k++) {
                ib |= (uint64_t)(p[x + k] >= m->bold) << k;
                it |= (uint64_t)(p[x + k] >= m->thin) << k;
            }
            uint64_t in_row = len == 64 ? ~UINT64_C(0) : (UINT64_C(1) << len) - 1;
            cut(&cb, (ib ^ (ib << 1 | before_b)) & in_row, x);
            cut(&ct, (it ^ (it << 1 | before_t)) & in_row, x);
            before_b = ib >> (len - 1) & 1;
            before_t = it >> (len - 1) & 1;
        }
        cut(&cb, 1, w);
        cut(&ct, 1, w);
    }
    bold->row[h] = bold->n_runs = cb.n;
    thin->row[h] = thin->n_runs = ct.n;
    return 0;
}

static int same_runs(const Reading *a, const Reading *b)
{
    if (a->n_runs != b->n_runs)
        return 0;
    for (int32_t i = 0; i < a->n_runs; i++)
        if (a->runs[i].x0 != b->runs[i].x0 || a->runs[i].ink != b->runs[i].ink)
            return 0;
    return 1; /* each row starts at x = 0, so equal starts mean equal rows */
}

static inline int32_t find(Run *runs, int32_t i)
{
    for (;;) {
        int32_t parent = runs[i].label, grandparent = runs[parent].label;
        if (parent == grandparent)
            return parent;
        runs[i].label = grandparent; /* path halving */
        i = grandparent;
    }
}

/* Parents always have the smaller index, so a region's first run is its root. Run b is in the row
   below a's: until it touches one, it is its own root. */
static inline void unite(Run *runs, int32_t a, int32_t b)
{
    a = find(runs, a);
    if (runs[b].label == b) {
        runs[b].label = a;
        return;
    }
    b = find(runs, b);
    if (a < b)
        runs[b].label = a;
    else
        runs[a].label = b;
}

/* Unites the runs of one row (from c) with those of the row above (from a) that they touch: runs of
   one kind that overlap, and ink runs that meet corner to corner where a run of each kind ends at
   one x. */
static void join(Run *runs, int32_t a, int32_t a_end, int32_t c, int32_t c_end)
{
    while (a < a_end && c < c_end) {
        int32_t a_x1 = runs[a].x1, c_x1 = runs[c].x1, a_ink = runs[a].ink, c_ink = runs[c].ink;
        if (a_ink == c_ink)
            unite(runs, a, c);
        if (a_x1 < c_x1) {
            a++;
        } else if (a_x1 > c_x1) {
            c++;
        } else {
            if (a_ink != c_ink && a + 1 < a_end)
                unite(runs, a_ink ? a : a + 1, a_ink ? c + 1 : c);
            a++;
            c++;
        }
    }
}

static inline void outside(uint8_t *kind, const Run *run)
{
    kind[run->label] |= run->ink ? 0 : BORDER;
}

/* Joins the runs into regions, numbers them and measures them (once: a reading equal to another's
   needs no labels). */
static int label(Reading *r, const Maps *m)
{
    Run *runs = r->runs;
    int32_t n_runs = r->n_runs, n = 0;
    if (r->area)
        return 0;
    char *block = PyMem_Calloc((size_t)n_runs, sizeof(int64_t) + 1); /* regions never outnumber runs */
    if (!block) {
        PyErr_NoMemory();
        return -1;
    }
    int64_t *area = (int64_t *)block;
    uint8_t *kind = (uint8_t *)(area + n_runs);
    for (Py_ssize_t y = 1; y < m->h; y++)
        join(runs, r->row[y - 1], r->row[y], r->row[y], r->row[y + 1]);
    for (int32_t i = 0; i < n_runs; i++) {
        int32_t parent = runs[i].label, root = parent == i; /* a parent is numbered before its children */
        int32_t l = root ? n : runs[parent].label;
        runs[i].label = l;
        n += root;
        area[l] += runs[i].x1 - runs[i].x0;
        kind[l] |= (uint8_t)runs[i].ink; /* INK */
    }
    for (Py_ssize_t y = 0; y < m->h; y++) { /* paper in the first or last column or row is the outside */
        outside(kind, &runs[r->row[y]]);
        outside(kind, &runs[r->row[y + 1] - 1]);
    }
    for (int32_t i = 0; i < r->row[1]; i++)
        outside(kind, &runs[i]);
    for (int32_t i = r->row[m->h - 1]; i < n_runs; i++)
        outside(kind, &runs[i]);
    for (int32_t l = 0; l < n; l++)
        if (area[l] >= m->least)
            kind[l] |= kind[l] & INK ? KEPT : kind[l] & BORDER ? 0 : HOLE;
    r->n = n;
    r->area = area;
    r->kind = kind;
    return 0;
}

/* What one reading's regions share a pixel with in another's. */
typedef struct {
    uint8_t *met;   /* the kinds (and MULTI) of the other reading's regions met */
    int32_t *first; /* the first kept ink region met, or -1 */
} Side;

static int side_alloc(Side *s, const Reading *r)
{
    if (!(s->first = PyMem_Malloc((size_t)r->n * (sizeof(int32_t) + 1)))) {
        PyErr_NoMemory();
        return -1;
    }
    memset(s->first, 0xFF, (size_t)r->n * sizeof(int32_t));
    s->met = (uint8_t *)(s->first + r->n);
    memset(s->met, 0, (size_t)r->n);
    return 0;
}

static void side_free(Side *s)
{
    PyMem_Free(s->first); /* one block with met */
    s->first = NULL;
}

/* Region `l` shares a pixel with region `other`, of its kind. */
static inline void meet(uint8_t *met, int32_t *first, int32_t l, int32_t other, uint8_t kind)
{
    met[l] |= kind;
    if (kind & KEPT) {
        if (first[l] < 0)
            first[l] = other;
        else if (first[l] != other)
            met[l] |= MULTI;
    }
}

/* On past the run that ends first of two that overlap, or past both. */
static inline void step(int32_t *i, int32_t i_x1, int32_t *j, int32_t j_x1)
{
    if (i_x1 < j_x1) {
        ++*i;
    } else if (i_x1 > j_x1) {
        ++*j;
    } else {
        ++*i;
        ++*j;
    }
}

/* Walks the runs of two readings of one map size side by side, row by row: each step is an overlap
   of two runs. */
static void match(const Reading *a, const Reading *b, Side *sa, Side *sb, Py_ssize_t h)
{
    const Run *a_runs = a->runs, *b_runs = b->runs;
    const uint8_t *a_kind = a->kind, *b_kind = b->kind;
    uint8_t *a_met = sa->met, *b_met = sb->met;
    int32_t *a_first = sa->first, *b_first = sb->first;
    for (Py_ssize_t y = 0; y < h; y++) {
        int32_t i = a->row[y], i_end = a->row[y + 1], j = b->row[y], j_end = b->row[y + 1];
        while (i < i_end && j < j_end) {
            if (a_runs[i].ink == b_runs[j].ink) {
                int32_t la = a_runs[i].label, lb = b_runs[j].label;
                meet(a_met, a_first, la, lb, b_kind[lb]);
                meet(b_met, b_first, lb, la, a_kind[la]);
            }
            step(&i, a_runs[i].x1, &j, b_runs[j].x1);
        }
    }
}

static int cmp_area(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The areas of the flagged regions, ascending, as a tuple of ints. */
static PyObject *areas(const Reading *r, const uint8_t *flag)
{
    Py_ssize_t count = 0;
    for (int32_t l = 0; l < r->n; l++)
        count += flag[l];
    if (!count)
        return PyTuple_New(0);
    int64_t *sorted = PyMem_Malloc((size_t)count * sizeof(int64_t));
    if (!sorted)
        return PyErr_NoMemory();
    count = 0;
    for (int32_t l = 0; l < r->n; l++)
        if (flag[l])
            sorted[count++] = r->area[l];
    qsort(sorted, (size_t)count, sizeof(int64_t), cmp_area);
    PyObject *out = PyTuple_New(count);
    for (Py_ssize_t k = 0; out && k < count; k++) {
        PyObject *v = PyLong_FromLongLong(sorted[k]);
        if (!v)
            Py_CLEAR(out);
        else
            PyTuple_SET_ITEM(out, k, v);
    }
    PyMem_Free(sorted);
    return out;
}

/* flag[l]: region l is of `kind` and what it met, masked, is `met`. */
static int pick(uint8_t *flag, const Reading *r, const Side *s, uint8_t kind, uint8_t mask, uint8_t met)
{
    int any = 0;
    for (int32_t l = 0; l < r->n; l++)
        any |= flag[l] = (r->kind[l] & kind) && (s->met[l] & mask) == met;
    return any;
}

enum { SPECKS, BROKEN, LOST, JOINED, FILLED, OPENED, NEW, KINDS };

/* `_diff` of topology.py: the regions at fault, as the 7 tuples of a TopologyDiff. */
static PyObject *diff(const Reading *src_bold, const Reading *src_thin, const Reading *out_bold,
                      const Reading *out_thin, Py_ssize_t h)
{
    PyObject *kinds[KINDS] = {NULL}, *result = NULL;
    Side sa = {0}, sb = {0};
    int32_t most = out_thin->n;
    const Reading *others[3] = {src_bold, src_thin, out_bold};
    for (int k = 0; k < 3; k++)
        most = others[k]->n > most ? others[k]->n : most;
    uint8_t *flag = PyMem_Malloc((size_t)most), *new_thin = PyMem_Malloc((size_t)out_thin->n);
    if (!flag || !new_thin) {
        PyErr_NoMemory();
        goto done;
    }

    /* Extra ink in the rendering (specks, joins, filled counters): its thin reading against the
       source's bold one. */
    if (side_alloc(&sa, src_bold) < 0 || side_alloc(&sb, out_thin) < 0)
        goto done;
    match(src_bold, out_thin, &sa, &sb, h);
    pick(flag, out_thin, &sb, KEPT, INK, 0);
    if (!(kinds[SPECKS] = areas(out_thin, flag)))
        goto done;
    pick(flag, out_thin, &sb, KEPT, MULTI, MULTI);
    if (!(kinds[JOINED] = areas(out_thin, flag)))
        goto done;
    pick(flag, src_bold, &sa, HOLE, HOLE | BORDER, 0);
    if (!(kinds[FILLED] = areas(src_bold, flag)))
        goto done;
    int any_new_thin = pick(new_thin, out_thin, &sb, HOLE, HOLE, 0);
    side_free(&sa);
    side_free(&sb);

    /* Missing ink (breaks, lost strokes, opened counters): the rendering's bold reading against the
       source's thin one. */
    if (side_alloc(&sa, src_thin) < 0 || side_alloc(&sb, out_bold) < 0)
        goto done;
    match(src_thin, out_bold, &sa, &sb, h);
    pick(flag, src_thin, &sa, KEPT, MULTI, MULTI);
    if (!(kinds[BROKEN] = areas(src_thin, flag)))
        goto done;
    pick(flag, src_thin, &sa, KEPT, INK, 0);
    if (!(kinds[LOST] = areas(src_thin, flag)))
        goto done;
    pick(flag, src_thin, &sa, HOLE, HOLE | BORDER, BORDER);
    if (!(kinds[OPENED] = areas(src_thin, flag)))
        goto done;

    /* A new hole can come from extra ink (a gap closed) or missing ink (a pinhole), so it must be
       there in both readings of the rendering (a new thin hole overlapping a new bold one), and in
       neither reading of the source. */
    uint8_t *new_bold = sb.met; /* reused: its bold holes that meet no source hole */
    if (any_new_thin && pick(new_bold, out_bold, &sb, HOLE, HOLE, 0)) {
        memset(flag, 0, (size_t)out_thin->n);
        for (Py_ssize_t y = 0; y < h; y++) {
            int32_t i = out_bold->row[y], j = out_thin->row[y];
            while (i < out_bold->row[y + 1] && j < out_thin->row[y + 1]) {
                const Run *rb = &out_bold->runs[i], *rt = &out_thin->runs[j];
                if (new_bold[rb->label] && new_thin[rt->label]) /* holes both, so paper both */
                    flag[rt->label] = 1;
                step(&i, rb->x1, &j, rt->x1);
            }
        }
        kinds[NEW] = areas(out_thin, flag);
    } else {
        kinds[NEW] = PyTuple_New(0);
    }
    if (kinds[NEW] && (result = PyTuple_New(KINDS)))
        for (int k = 0; k < KINDS; k++) {
            PyTuple_SET_ITEM(result, k, kinds[k]);
            kinds[k] = NULL;
        }
done:
    for (int k = 0; k < KINDS; k++)
        Py_XDECREF(kinds[k]);
    side_free(&sa);
    side_free(&sb);
    PyMem_Free(flag);
    PyMem_Free(new_thin);
    return result;
}

static int get_map(PyObject *obj, Py_buffer *view)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (view->ndim != 2 || view->itemsize != 1 || (view->format && strcmp(view->format, "B"))) {
        PyErr_Format(PyExc_ValueError, "expected a C-contiguous 2-D uint8 map, got format '%s' in %d dimensions",
                     view->format ? view->format : "B", view->ndim);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* The result of each rendering against the source, sharing the source's readings and the results of
   renderings that read the same. */
static PyObject *compare_all(Py_buffer *views, Py_ssize_t n, Reading *readings, const Maps *m)
{
    PyObject *results = PyList_New(n), *no_faults = Py_BuildValue("(()()()()()()())");
    Reading *src_bold = &readings[0], *src_thin = &readings[1];
    if (!results || !no_faults)
        goto fail;
    if (m->h == 0 || m->w == 0) { /* no pixels, no regions */
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_INCREF(no_faults);
            PyList_SET_ITEM(results, i, no_faults);
        }
        Py_DECREF(no_faults);
        return results;
    }
    if (read_runs(src_bold, src_thin, m, views[0].buf) < 0)
        goto fail;
    for (Py_ssize_t i = 1; i <= n; i++) {
        Reading *out_bold = &readings[2 * i], *out_thin = &readings[2 * i + 1];
        PyObject *same = NULL;
        if (read_runs(out_bold, out_thin, m, views[i].buf) < 0)
            goto fail;
        for (Py_ssize_t j = 1; !same && j < i; j++)
            if (same_runs(out_bold, &readings[2 * j]) && same_runs(out_thin, &readings[2 * j + 1]))
                same = PyList_GET_ITEM(results, j - 1);
        if (!same && same_runs(out_bold, src_bold) && same_runs(out_thin, src_thin))
            same = no_faults;
        if (same)
            Py_INCREF(same);
        else if (label(src_bold, m) < 0 || label(src_thin, m) < 0 || label(out_bold, m) < 0 ||
                 label(out_thin, m) < 0 || !(same = diff(src_bold, src_thin, out_bold, out_thin, m->h)))
            goto fail;
        PyList_SET_ITEM(results, i - 1, same);
    }
    Py_DECREF(no_faults);
    return results;
fail:
    Py_XDECREF(results);
    Py_XDECREF(no_faults);
    return NULL;
}

static PyObject *compare(PyObject *self, PyObject *args)
{
    PyObject *source, *renderings, *seq, *results = NULL;
    int bold, thin;
    long long least;
    Py_buffer *views = NULL;
    Reading *readings = NULL; /* the source's bold and thin readings, then each rendering's */
    Py_ssize_t n, held = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOiiL:compare", &source, &renderings, &bold, &thin, &least))
        return NULL;
    if (!(0 < bold && bold <= thin && thin <= 255))
        return PyErr_Format(PyExc_ValueError, "thresholds %d (bold) and %d (thin) must be 1 <= bold <= thin <= 255",
                            bold, thin);
    if (!(seq = PySequence_Fast(renderings, "renderings must be a sequence of maps")))
        return NULL;
    n = PySequence_Fast_GET_SIZE(seq);
    views = PyMem_Calloc((size_t)n + 1, sizeof(Py_buffer));
    readings = PyMem_Calloc(2 * ((size_t)n + 1), sizeof(Reading));
    if (!views || !readings) {
        PyErr_NoMemory();
        goto done;
    }
    for (; held <= n; held++)
        if (get_map(held ? PySequence_Fast_GET_ITEM(seq, held - 1) : source, &views[held]) < 0)
            goto done;
    Maps m = {views[0].shape[0], views[0].shape[1], (unsigned)bold, (unsigned)thin, least};
    for (Py_ssize_t i = 1; i <= n; i++)
        if (views[i].shape[0] != m.h || views[i].shape[1] != m.w) {
            PyErr_Format(PyExc_ValueError, "source (%zd, %zd) and rendering (%zd, %zd) must have one shape",
                         m.h, m.w, views[i].shape[0], views[i].shape[1]);
            goto done;
        }
    if (m.h && m.w > INT32_MAX / m.h)
        PyErr_Format(PyExc_ValueError, "a map of %zd x %zd pixels is too large to label", m.h, m.w);
    else
        results = compare_all(views, n, readings, &m);
done:
    for (Py_ssize_t i = 0; readings && i < 2 * (n + 1); i++)
        reading_free(&readings[i]);
    for (Py_ssize_t i = 0; i < held; i++)
        PyBuffer_Release(&views[i]);
    PyMem_Free(readings);
    PyMem_Free(views);
    Py_DECREF(seq);
    return results;
}

PyDoc_STRVAR(compare_doc,
"compare(source, renderings, bold, thin, least) -> [7-tuple of tuples of ints per rendering]\n\n"
"topology.compare_many after its resize: each rendering's TopologyDiff fields (specks, broken, lost,\n"
"joined, filled_holes, opened_holes, new_holes), each the ascending areas of the regions at fault.\n"
"The maps are C-contiguous 2-D uint8 buffers of one shape; ink is >= bold or >= thin, and a region\n"
"counts from `least` pixels.");

static PyMethodDef methods[] = {
    {"compare", compare, METH_VARARGS, compare_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_topology", "The topology comparison of fontgen.font.topology, in C.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__topology(void)
{
    return PyModule_Create(&module);
}
