/* The per-glyph encoding of traced outlines in C: contours from potrace's curves, bounds, cubics,
 * Type 2 charstrings, glyf records.
 *
 * The C twin of vectorize.trace's curve-to-contour step, glyphdata.outline_bounds / glyphdata.cubics,
 * cff.charstring_program and ttglyph.encode, which stay the readable reference and the fallback. Their
 * Python/numpy glue cost from a fifth to about as much CPU per glyph as potrace; here it is a few per
 * cent of that. Every result is the reference's, byte for byte and float for float: each double
 * operation is numpy's, in numpy's order (build without fused multiply-add, -ffp-contract=off).
 * tests/test_encode.py compares the two.
 *
 * An outline is the `contours` of a vectorize.Outline: ((start, segments), ...), start an (x, y) pair
 * of ints, a segment an end point (line) or (c1x, c1y, c2x, c2y, x, y) (cubic); coordinates must fit
 * in 64 bits.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <limits.h>
#include <math.h>
#include <string.h>

#define T2_MAX_ARGS 48      /* constants.T2_MAX_ARGS: the Type 2 argument stack depth */
#define T2_RLINETO 5
#define T2_RRCURVETO 8
#define T2_ENDCHAR 14
#define T2_RMOVETO 21

#define ON_CURVE 0x01
#define X_SHORT 0x02
#define Y_SHORT 0x04
#define REPEAT 0x08
#define X_SAME 0x10
#define Y_SAME 0x20

typedef struct {
    long long v[6];         /* a cubic's c1, c2 and end; a line's end is v[4], v[5] */
    int cubic;
} Segment;

typedef struct {
    long long x, y;         /* the start point */
    Py_ssize_t first, count;  /* its segments: segs[first : first + count] */
} Contour;

typedef struct {
    Contour *contours;
    Segment *segs;
    Py_ssize_t ncontours, nsegs, ncubics;
} Outline;

/* ---- reading an outline ---------------------------------------------------------------------- */

/* A sequence's items as a tuple, the object itself if it is one: a list could change under us while
 * an item's __index__ runs. */
static PyObject *as_tuple(PyObject *obj, const char *what)
{
    if (!PyTuple_CheckExact(obj) && !PySequence_Check(obj))
        return PyErr_Format(PyExc_TypeError, "%s must be a sequence, not %.100s", what, Py_TYPE(obj)->tp_name);
    return PySequence_Tuple(obj);
}

/* Reads an (x, y) point, or also a 6-int cubic where `cubic_ok`; returns the count, -1 on error. */
static int read_ints(PyObject *obj, long long *out, const char *what, int cubic_ok)
{
    PyObject *tuple = as_tuple(obj, what);
    if (tuple == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(tuple);
    if (n != 2 && !(cubic_ok && n == 6)) {
        PyErr_Format(PyExc_ValueError, "%s must have %s ints, not %zd", what, cubic_ok ? "2 or 6" : "2", n);
        Py_DECREF(tuple);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(tuple, i), &overflow);
        if (overflow) {
            PyErr_SetString(PyExc_OverflowError, "outline coordinate does not fit in 64 bits");
            v = -1;
        }
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(tuple);
            return -1;
        }
        out[i] = v;
    }
    Py_DECREF(tuple);
    return (int)n;
}

static void outline_free(Outline *o)
{
    PyMem_Free(o->contours);
    PyMem_Free(o->segs);
}

static int outline_read(PyObject *contours, Outline *o)
{
    memset(o, 0, sizeof *o);
    PyObject *cf = as_tuple(contours, "contours");
    if (cf == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(cf), cap = 0;
    o->contours = PyMem_New(Contour, n ? n : 1);
    if (o->contours == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = as_tuple(PyTuple_GET_ITEM(cf, i), "a contour");
        if (pair == NULL)
            goto fail;
        if (PyTuple_GET_SIZE(pair) != 2) {
            PyErr_Format(PyExc_ValueError, "a contour must be a (start, segments) pair, not %zd items",
                         PyTuple_GET_SIZE(pair));
            Py_DECREF(pair);
            goto fail;
        }
        Contour *c = &o->contours[o->ncontours];
        long long start[2];
        PyObject *sf = NULL;
        if (read_ints(PyTuple_GET_ITEM(pair, 0), start, "a contour's start", 0) < 0
            || (sf = as_tuple(PyTuple_GET_ITEM(pair, 1), "a contour's segments")) == NULL) {
            Py_DECREF(pair);
            goto fail;
        }
        Py_DECREF(pair);
        Py_ssize_t k = PyTuple_GET_SIZE(sf);
        if (o->nsegs + k > cap) {
            Py_ssize_t want = cap ? cap : 256;
            while (want < o->nsegs + k)
                want = want > PY_SSIZE_T_MAX / 2 ? o->nsegs + k : want * 2;
            Segment *grown = (size_t)want > PY_SSIZE_T_MAX / sizeof(Segment)
                ? NULL : PyMem_Realloc(o->segs, (size_t)want * sizeof(Segment));
            if (grown == NULL) {
                Py_DECREF(sf);
                PyErr_NoMemory();
                goto fail;
            }
            o->segs = grown;
            cap = want;
        }
        c->x = start[0];
        c->y = start[1];
        c->first = o->nsegs;
        c->count = k;
        for (Py_ssize_t j = 0; j < k; j++) {
            Segment *s = &o->segs[o->nsegs];
            long long v[6];
            int m = read_ints(PyTuple_GET_ITEM(sf, j), v, "a segment", 1);
            if (m < 0) {
                Py_DECREF(sf);
                goto fail;
            }
            s->cubic = m == 6;
            if (s->cubic) {
                memcpy(s->v, v, sizeof v);
                o->ncubics++;
            } else {
                s->v[4] = v[0];
                s->v[5] = v[1];
            }
            o->nsegs++;
        }
        Py_DECREF(sf);
        o->ncontours++;
    }
    Py_DECREF(cf);
    return 0;
fail:
    Py_DECREF(cf);
    outline_free(o);
    memset(o, 0, sizeof *o);
    return -1;
}

/* Every cubic as [(p0, p1, p2, p3) of (x, y)] doubles, p0 the point it starts from; `out` holds 8·ncubics. */
static void outline_cubics(const Outline *o, double *out)
{
    for (Py_ssize_t i = 0; i < o->ncontours; i++) {
        const Contour *c = &o->contours[i];
        long long x = c->x, y = c->y;
        for (Py_ssize_t j = c->first; j < c->first + c->count; j++) {
            const Segment *s = &o->segs[j];
            if (s->cubic) {
                *out++ = (double)x;
                *out++ = (double)y;
                for (int k = 0; k < 6; k++)
                    *out++ = (double)s->v[k];
            }
            x = s->v[4];
            y = s->v[5];
        }
    }
}

/* ---- bounds ---------------------------------------------------------------------------------- */

/* The roots in [0, 1) of one axis' dx/dt (NaN where none): fontTools' calcCubicParameters and
 * solveQuadratic as glyphdata._cubic_extrema computes them; also the power-basis a, b, c. */
static void axis_roots(const double *p, double *t, double *a_out, double *b_out, double *c_out)
{
    const double eps = 1e-10;
    double c = (p[2] - p[0]) * 3.0;
    double b = (p[4] - p[2]) * 3.0 - c;
    double a = p[6] - p[0] - c - b;
    double qa = a * 3.0, qb = b * 2.0, qc = c;
    t[0] = t[1] = NAN;
    if (fabs(qa) >= eps) {
        double root = sqrt(qb * qb - 4.0 * qa * qc);
        t[0] = (-qb + root) / 2.0 / qa;
        t[1] = (-qb - root) / 2.0 / qa;
    } else if (fabs(qb) >= eps) {
        t[0] = -qc / qb;
    }
    *a_out = a;
    *b_out = b;
    *c_out = c;
}

static void widen(double *lo, double *hi, double x, double y)
{
    lo[0] = x < lo[0] ? x : lo[0];
    lo[1] = y < lo[1] ? y : lo[1];
    hi[0] = x > hi[0] ? x : hi[0];
    hi[1] = y > hi[1] ? y : hi[1];
}

static PyObject *outline_bounds(const Outline *o)
{
    if (o->ncontours == 0)
        Py_RETURN_NONE;
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};  /* of the on-curve points */
    for (Py_ssize_t i = 0; i < o->ncontours; i++) {
        const Contour *c = &o->contours[i];
        widen(lo, hi, (double)c->x, (double)c->y);
        for (Py_ssize_t j = c->first; j < c->first + c->count; j++)
            widen(lo, hi, (double)o->segs[j].v[4], (double)o->segs[j].v[5]);
    }
    /* Curve extrema where a cubic's control points leave the on-curve points' box, clamped to the
     * cubic's hull (numpy's maximum/minimum, then fmin/fmax that skip absent roots). */
    double out_lo[2] = {lo[0], lo[1]}, out_hi[2] = {hi[0], hi[1]};
    for (Py_ssize_t i = 0; i < o->ncontours; i++) {
        const Contour *c = &o->contours[i];
        long long x = c->x, y = c->y;
        for (Py_ssize_t j = c->first; j < c->first + c->count; j++) {
            const Segment *s = &o->segs[j];
            if (s->cubic) {
                double p[8] = {(double)x, (double)y, (double)s->v[0], (double)s->v[1],
                               (double)s->v[2], (double)s->v[3], (double)s->v[4], (double)s->v[5]};
                double hull_lo[2], hull_hi[2];
                int bulge = 0;
                for (int k = 0; k < 2; k++) {
                    hull_lo[k] = hull_hi[k] = p[k];
                    for (int m = 1; m < 4; m++) {
                        hull_lo[k] = p[2 * m + k] < hull_lo[k] ? p[2 * m + k] : hull_lo[k];
                        hull_hi[k] = p[2 * m + k] > hull_hi[k] ? p[2 * m + k] : hull_hi[k];
                    }
                    bulge |= hull_lo[k] < lo[k] || hull_hi[k] > hi[k];
                }
                if (bulge) {
                    double t[4], a[2], b[2], cc[2];
                    axis_roots(p, t, &a[0], &b[0], &cc[0]);
                    axis_roots(p + 1, t + 2, &a[1], &b[1], &cc[1]);
                    for (int r = 0; r < 4; r++) {
                        double tr = t[r];
                        if (!(tr >= 0 && tr < 1))
                            continue;
                        for (int k = 0; k < 2; k++) {
                            double e = a[k] * tr * tr * tr + b[k] * tr * tr + cc[k] * tr + p[k];
                            double e_lo = e > hull_lo[k] ? e : hull_lo[k];
                            double e_hi = e < hull_hi[k] ? e : hull_hi[k];
                            out_lo[k] = e_lo < out_lo[k] ? e_lo : out_lo[k];
                            out_hi[k] = e_hi > out_hi[k] ? e_hi : out_hi[k];
                        }
                    }
                }
            }
            x = s->v[4];
            y = s->v[5];
        }
    }
    double box[4] = {floor(out_lo[0]), floor(out_lo[1]), ceil(out_hi[0]), ceil(out_hi[1])};
    PyObject *result = PyTuple_New(4);
    if (result == NULL)
        return NULL;
    for (int k = 0; k < 4; k++) {
        PyObject *v = PyLong_FromDouble(box[k]);
        if (v == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, k, v);
    }
    return result;
}

/* ---- Type 2 charstrings ---------------------------------------------------------------------- */

/* fontTools' encodeIntT2 (its 4-byte form is a 16.16 number: fontTools warns, and writes it). */
static int put_t2_int(unsigned char **at, long long v)
{
    unsigned char *p = *at;
    if (v >= -107 && v <= 107) {
        *p++ = (unsigned char)(v + 139);
    } else if (v >= 108 && v <= 1131) {
        v -= 108;
        *p++ = (unsigned char)((v >> 8) + 247);
        *p++ = (unsigned char)(v & 0xFF);
    } else if (v >= -1131 && v <= -108) {
        v = -v - 108;
        *p++ = (unsigned char)((v >> 8) + 251);
        *p++ = (unsigned char)(v & 0xFF);
    } else if (v >= -32768 && v <= 32767) {
        unsigned long long u = (unsigned long long)v;
        *p++ = 28;
        *p++ = (unsigned char)(u >> 8);
        *p++ = (unsigned char)u;
    } else if (v >= -2147483647LL - 1 && v <= 2147483647LL) {
        unsigned long long u = (unsigned long long)v;
        *p++ = 255;
        *p++ = (unsigned char)(u >> 24);
        *p++ = (unsigned char)(u >> 16);
        *p++ = (unsigned char)(u >> 8);
        *p++ = (unsigned char)u;
    } else {
        PyErr_Format(PyExc_OverflowError, "charstring number %lld does not fit in 32 bits", v);
        return -1;
    }
    *at = p;
    return 0;
}

static int put_t2_op(unsigned char **at, const long long *args, int n, unsigned char op)
{
    for (int i = 0; i < n; i++)
        if (put_t2_int(at, args[i]) < 0)
            return -1;
    *(*at)++ = op;
    return 0;
}

/* a − b, or an OverflowError where it leaves 64 bits (any charstring number beyond 32 bits fails). */
static int delta(long long a, long long b, long long *out)
{
    if ((b > 0 && a < LLONG_MIN + b) || (b < 0 && a > LLONG_MAX + b)) {
        PyErr_SetString(PyExc_OverflowError, "charstring move does not fit in 64 bits");
        return -1;
    }
    *out = a - b;
    return 0;
}

/* Writes the charstring into `out` (at most 5 bytes a number plus an operator per group); its length. */
static Py_ssize_t charstring_encode(const Outline *o, int has_width, long long width, unsigned char *out)
{
    unsigned char *at = out;
    long long x = 0, y = 0, args[T2_MAX_ARGS];
    int nprefix = has_width;
    for (Py_ssize_t i = 0; i < o->ncontours; i++) {
        const Contour *c = &o->contours[i];
        long long move[3];
        move[0] = width;  /* the width rides on the first rmoveto */
        if (delta(c->x, x, &move[nprefix]) < 0 || delta(c->y, y, &move[nprefix + 1]) < 0
            || put_t2_op(&at, move, nprefix + 2, T2_RMOVETO) < 0)
            return -1;
        nprefix = 0;
        x = c->x;
        y = c->y;
        int op = 0, nargs = 0;
        for (Py_ssize_t j = c->first; j < c->first + c->count; j++) {
            const Segment *s = &o->segs[j];
            long long vals[6];
            int seg_op, nvals;
            if (s->cubic) {
                seg_op = T2_RRCURVETO;
                nvals = 6;
                if (delta(s->v[0], x, &vals[0]) < 0 || delta(s->v[1], y, &vals[1]) < 0
                    || delta(s->v[2], s->v[0], &vals[2]) < 0 || delta(s->v[3], s->v[1], &vals[3]) < 0
                    || delta(s->v[4], s->v[2], &vals[4]) < 0 || delta(s->v[5], s->v[3], &vals[5]) < 0)
                    return -1;
            } else {
                seg_op = T2_RLINETO;
                nvals = 2;
                if (delta(s->v[4], x, &vals[0]) < 0 || delta(s->v[5], y, &vals[1]) < 0)
                    return -1;
            }
            x = s->v[4];
            y = s->v[5];
            if (seg_op != op || nargs + nvals > T2_MAX_ARGS) {
                if (nargs && put_t2_op(&at, args, nargs, (unsigned char)op) < 0)
                    return -1;
                op = seg_op;
                nargs = 0;
            }
            memcpy(args + nargs, vals, nvals * sizeof *vals);
            nargs += nvals;
        }
        if (nargs && put_t2_op(&at, args, nargs, (unsigned char)op) < 0)
            return -1;
    }
    if (put_t2_op(&at, &width, nprefix, T2_ENDCHAR) < 0)  /* an empty glyph carries its width here */
        return -1;
    return at - out;
}

/* ---- TrueType glyf records ------------------------------------------------------------------- */

/* The format letter of a native-order buffer (no prefix, '@', '=', or this machine's byte order), or 0. */
static char buffer_letter(const char *format)
{
    static const union { unsigned short u; unsigned char c[2]; } order = {1};
    if (format == NULL)
        return 'B';
    if (*format == '@' || *format == '=' || *format == (order.c[0] ? '<' : '>'))
        format++;
    return format[0] != '\0' && format[1] == '\0' ? format[0] : 0;
}

static int get_offcurve(PyObject *obj, Py_buffer *view)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_RECORDS_RO) < 0)
        return -1;
    if (buffer_letter(view->format) != 'd' || view->itemsize != 8 || view->ndim != 2 || view->shape[1] != 2
        || !PyBuffer_IsContiguous(view, 'C')) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_TypeError, "offcurve must be a C-contiguous float64 array of shape [n, 2]");
        return -1;
    }
    return 0;
}

/* The spline point count of each of the `ncubics` cubics (an int32 or int64 array), checked to add
 * up to the `rows` off-curve points; a PyMem array. */
static long long *read_counts(PyObject *obj, Py_ssize_t ncubics, Py_ssize_t rows)
{
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_RECORDS_RO) < 0)
        return NULL;
    long long *counts = NULL;
    char letter = buffer_letter(view.format);
    if ((letter != 'i' && letter != 'l' && letter != 'q') || (view.itemsize != 4 && view.itemsize != 8)
        || view.ndim != 1 || !PyBuffer_IsContiguous(&view, 'C')) {
        PyErr_SetString(PyExc_TypeError, "counts must be a contiguous one-dimensional int32 or int64 array");
    } else if (view.shape[0] != ncubics) {
        PyErr_Format(PyExc_ValueError, "counts has %zd entries for an outline of %zd cubics", view.shape[0], ncubics);
    } else if ((counts = PyMem_New(long long, ncubics + 1)) == NULL) {
        PyErr_NoMemory();
    } else {
        Py_ssize_t i, total = 0;
        for (i = 0; i < ncubics; i++) {
            if (view.itemsize == 8) {
                memcpy(&counts[i], (const char *)view.buf + 8 * i, 8);  /* the buffer may be unaligned */
            } else {
                int c;
                memcpy(&c, (const char *)view.buf + 4 * i, 4);
                counts[i] = c;
            }
            if (counts[i] < 0 || counts[i] > rows - total)
                break;
            total += (Py_ssize_t)counts[i];
        }
        if (i < ncubics || total != rows) {
            PyErr_Format(PyExc_ValueError, "counts must be non-negative and add up to the %zd offcurve points", rows);
            PyMem_Free(counts);
            counts = NULL;
        }
    }
    PyBuffer_Release(&view);
    return counts;
}

static int within(double a, double b)  /* math.isclose with its defaults, as ttglyph._isclose */
{
    return a == b || fabs(a - b) <= 1e-9 * (fabs(a) > fabs(b) ? fabs(a) : fabs(b));
}

/* fontTools' `_is_mid_point`: p1 halfway between p0 and p2, before or after rounding (otRound). */
static int mid_point(const double *p0, const double *p1, const double *p2)
{
    int exact = 1, rounded = 1;
    for (int k = 0; k < 2; k++) {
        exact &= within((p0[k] + p2[k]) * 0.5, p1[k]);
        rounded &= floor(p0[k] + 0.5) + floor(p2[k] + 0.5) == floor(p1[k] + 0.5) * 2;
    }
    return exact || rounded;
}

static void put_u16(unsigned char **at, long v)
{
    unsigned long u = (unsigned long)v;
    *(*at)++ = (unsigned char)(u >> 8);
    *(*at)++ = (unsigned char)u;
}

/* One axis' deltas, compileDeltasGreedy's shortest form; ORs the axis' flag bits into `flags`. */
static unsigned char *put_deltas(unsigned char *at, const long *v, Py_ssize_t n, unsigned char *flags,
                                 unsigned char short_bit, unsigned char same_bit)
{
    long prev = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        long d = v[i] - prev;
        prev = v[i];
        if (d == 0) {
            flags[i] |= same_bit;
        } else if (d >= -255 && d <= 255) {
            flags[i] |= short_bit | (d > 0 ? same_bit : 0);
            *at++ = (unsigned char)(d > 0 ? d : -d);
        } else {
            put_u16(&at, d);
        }
    }
    return at;
}

/* The glyph's points as TTGlyphPen gets them from ReverseContourPen, implied on-curve points dropped,
 * into `pts` [2·cap] and `on` [cap], each contour's last index into `ends` [ncontours]; the point count. */
static Py_ssize_t glyf_points(const Outline *o, const char *offcurve, const long long *counts,
                              double *pts, unsigned char *on, Py_ssize_t *ends, Py_ssize_t *ncontours)
{
    Py_ssize_t n = 0, nc = 0, cubic = 0;
    const char *off = offcurve;
    for (Py_ssize_t i = 0; i < o->ncontours; i++) {
        const Contour *c = &o->contours[i];
        Py_ssize_t base = n;
        pts[2 * n] = (double)c->x;
        pts[2 * n + 1] = (double)c->y;
        on[n++] = 1;
        for (Py_ssize_t j = c->first; j < c->first + c->count; j++) {
            const Segment *s = &o->segs[j];
            if (s->cubic) {
                for (long long k = 0; k < counts[cubic]; k++, off += 2 * sizeof(double)) {
                    memcpy(&pts[2 * n], off, 2 * sizeof(double));  /* the buffer may be unaligned */
                    on[n++] = 0;
                }
                cubic++;
            }
            pts[2 * n] = (double)s->v[4];
            pts[2 * n + 1] = (double)s->v[5];
            on[n++] = 1;
        }
        if (c->count && o->segs[c->first + c->count - 1].v[4] == c->x
            && o->segs[c->first + c->count - 1].v[5] == c->y)
            n--;  /* the implied closing line */
        if (n - base < 2) {  /* TTGlyphPen drops one-point paths */
            n = base;
            continue;
        }
        for (Py_ssize_t lo = base + 1, hi = n - 1; lo < hi; lo++, hi--) {  /* backwards from the start */
            double tx = pts[2 * lo], ty = pts[2 * lo + 1];
            unsigned char to = on[lo];
            pts[2 * lo] = pts[2 * hi];
            pts[2 * lo + 1] = pts[2 * hi + 1];
            on[lo] = on[hi];
            pts[2 * hi] = tx;
            pts[2 * hi + 1] = ty;
            on[hi] = to;
        }
        ends[nc++] = n - 1;
    }
    /* Implied on-curve points, all tested on the points before any is dropped. */
    Py_ssize_t kept = 0, start = 0;
    for (Py_ssize_t ci = 0; ci < nc; ci++) {
        Py_ssize_t end = ends[ci];
        unsigned char first_on = on[start];  /* copies: keeping points moves others onto the first */
        const double first[2] = {pts[2 * start], pts[2 * start + 1]};
        double prev[2] = {pts[2 * end], pts[2 * end + 1]};
        unsigned char prev_on = on[end];
        for (Py_ssize_t i = start; i <= end; i++) {
            double cur[2] = {pts[2 * i], pts[2 * i + 1]};
            unsigned char cur_on = on[i];
            Py_ssize_t nx = i == end ? start : i + 1;
            const double *next = nx == start ? first : &pts[2 * nx];
            unsigned char next_on = nx == start ? first_on : on[nx];
            int drop = cur_on && !prev_on && !next_on && mid_point(prev, cur, next);
            if (!drop) {
                pts[2 * kept] = cur[0];
                pts[2 * kept + 1] = cur[1];
                on[kept++] = cur_on;
            }
            prev[0] = cur[0];
            prev[1] = cur[1];
            prev_on = cur_on;
        }
        start = end + 1;
        ends[ci] = kept - 1;
    }
    *ncontours = nc;
    return kept;
}

/* The record: header, endPts, no instructions, the flags in runs, then the x and the y deltas. */
static PyObject *glyf_record(const long *xs, const long *ys, const unsigned char *on, Py_ssize_t n,
                             const Py_ssize_t *ends, Py_ssize_t nc, const long *box)
{
    unsigned char *flags = PyMem_New(unsigned char, n);
    unsigned char *buf = PyMem_New(unsigned char, 12 + 2 * nc + 5 * n);  /* ≤ 2 bytes a flag run or delta */
    if (flags == NULL || buf == NULL) {
        PyMem_Free(flags);
        PyMem_Free(buf);
        return PyErr_NoMemory();
    }
    unsigned char *at = buf;
    put_u16(&at, (long)nc);
    for (int k = 0; k < 4; k++)
        put_u16(&at, box[k]);
    for (Py_ssize_t ci = 0; ci < nc; ci++)
        put_u16(&at, (long)ends[ci]);
    put_u16(&at, 0);
    for (Py_ssize_t i = 0; i < n; i++)
        flags[i] = on[i] ? ON_CURVE : 0;
    unsigned char *coords = at + 2 * n;  /* past the longest flags: filled first, moved down after */
    unsigned char *coords_end = put_deltas(coords, xs, n, flags, X_SHORT, X_SAME);
    coords_end = put_deltas(coords_end, ys, n, flags, Y_SHORT, Y_SAME);
    for (Py_ssize_t i = 0; i < n;) {  /* compileDeltasGreedy's runs: flag | REPEAT, count − 1 (≤ 255) */
        Py_ssize_t j = i + 1;
        while (j < n && flags[j] == flags[i] && j - i < 256)
            j++;
        if (j - i <= 2) {
            for (Py_ssize_t k = i; k < j; k++)
                *at++ = flags[i];
        } else {
            *at++ = flags[i] | REPEAT;
            *at++ = (unsigned char)(j - i - 1);
        }
        i = j;
    }
    memmove(at, coords, coords_end - coords);
    at += coords_end - coords;
    PyObject *result = Py_BuildValue("(y#(llll)nn)", (const char *)buf, (Py_ssize_t)(at - buf),
                                     box[0], box[1], box[2], box[3], n, nc);
    PyMem_Free(flags);
    PyMem_Free(buf);
    return result;
}

static PyObject *glyf_encode(const Outline *o, const char *offcurve, const long long *counts)
{
    PyObject *result = NULL;
    Py_ssize_t cap = o->ncontours + o->nsegs, nc, n;
    for (Py_ssize_t i = 0; i < o->ncubics; i++)
        cap += (Py_ssize_t)counts[i];  /* the caller checked that the counts add up to the offcurve rows */
    double *pts = PyMem_New(double, 2 * cap + 2);
    unsigned char *on = PyMem_New(unsigned char, cap + 1);
    Py_ssize_t *ends = PyMem_New(Py_ssize_t, o->ncontours + 1);
    long *xy = PyMem_New(long, 2 * cap + 2), box[4] = {32767, 32767, -32768, -32768};
    if (pts == NULL || on == NULL || ends == NULL || xy == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    n = glyf_points(o, offcurve, counts, pts, on, ends, &nc);
    if (nc == 0) {
        result = Py_BuildValue("(yOii)", "", Py_None, 0, 0);
        goto done;
    }
    if (nc > 32767 || n > 65536) {
        PyErr_Format(PyExc_OverflowError,
                     "a glyf record holds at most 32767 contours and 65536 points, not %zd and %zd", nc, n);
        goto done;
    }
    for (Py_ssize_t i = 0; i < 2 * n; i++) {  /* xy: the xs, then the ys */
        double r = floor(pts[i] + 0.5);  /* otRound */
        if (!(r >= -32768.0 && r <= 32767.0)) {  /* NaN too */
            PyErr_SetString(PyExc_OverflowError, "glyf coordinates must round into the 16-bit range");
            goto done;
        }
        long v = (long)r;
        int k = (int)(i & 1);
        xy[k * n + i / 2] = v;
        box[k] = v < box[k] ? v : box[k];
        box[k + 2] = v > box[k + 2] ? v : box[k + 2];
    }
    result = glyf_record(xy, xy + n, on, n, ends, nc, box);
done:
    PyMem_Free(pts);
    PyMem_Free(on);
    PyMem_Free(ends);
    PyMem_Free(xy);
    return result;
}

/* ---- potrace curves to contours -------------------------------------------------------------- */

#define POTRACE_CORNER 2  /* potrace_lib.CORNER; any other tag is a curve, as vectorize.trace reads them */

/* np.rint (half to even, the default rounding mode) of one mapped coordinate as a 64-bit int. */
static int map_coord(double p, double scale, double offset, long long *out)
{
    double r = nearbyint(p * scale + offset);  /* numpy's multiply, then its add */
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0)) {  /* NaN too */
        PyErr_SetString(PyExc_OverflowError, "traced coordinate does not fit in 64 bits");
        return -1;
    }
    *out = (long long)r;
    return 0;
}

/* Point `k` (0: c1, 1: c2, 2: end) of segment `i` of a float64 [n, 3, 2] buffer, in font units. */
static int map_point(const char *points, Py_ssize_t i, int k, const double *frame, long long *out)
{
    double p[2];
    memcpy(p, points + (6 * i + 2 * k) * sizeof(double), sizeof p);  /* the buffer may be unaligned */
    return map_coord(p[0], frame[0], frame[2], &out[0]) < 0 || map_coord(p[1], frame[1], frame[3], &out[1]) < 0
        ? -1 : 0;
}

/* One potrace curve's tags and points: an int32/int64 [n] and a float64 [n, 3, 2] buffer, n ≥ 1. */
static int get_curve(PyObject *item, Py_buffer *tags, Py_buffer *points)
{
    PyObject *pair = as_tuple(item, "a curve");
    if (pair == NULL)
        return -1;
    if (PyTuple_GET_SIZE(pair) != 2) {
        PyErr_Format(PyExc_ValueError, "a curve must be a (tags, points) pair, not %zd items",
                     PyTuple_GET_SIZE(pair));
        Py_DECREF(pair);
        return -1;
    }
    int ok = PyObject_GetBuffer(PyTuple_GET_ITEM(pair, 0), tags, PyBUF_RECORDS_RO) == 0;
    if (ok && PyObject_GetBuffer(PyTuple_GET_ITEM(pair, 1), points, PyBUF_RECORDS_RO) < 0) {
        PyBuffer_Release(tags);
        ok = 0;
    }
    Py_DECREF(pair);  /* the buffers hold their arrays */
    if (!ok)
        return -1;
    char letter = buffer_letter(tags->format);
    if ((letter != 'i' && letter != 'l' && letter != 'q') || (tags->itemsize != 4 && tags->itemsize != 8)
        || tags->ndim != 1 || !PyBuffer_IsContiguous(tags, 'C')) {
        PyErr_SetString(PyExc_TypeError,
                        "a curve's tags must be a contiguous one-dimensional int32 or int64 array");
    } else if (buffer_letter(points->format) != 'd' || points->itemsize != 8 || points->ndim != 3
               || points->shape[1] != 3 || points->shape[2] != 2 || !PyBuffer_IsContiguous(points, 'C')) {
        PyErr_SetString(PyExc_TypeError,
                        "a curve's points must be a C-contiguous float64 array of shape [n, 3, 2]");
    } else if (tags->shape[0] != points->shape[0] || tags->shape[0] == 0) {
        PyErr_Format(PyExc_ValueError, "a curve needs a tag for each of its segments, at least one: "
                     "%zd tags for %zd", tags->shape[0], points->shape[0]);
    } else {
        return 0;
    }
    PyBuffer_Release(tags);
    PyBuffer_Release(points);
    return -1;
}

/* The curve's segments in font units into `out` (room for 2n): its start point (the last end), the
 * corners' two lines without repeated points, no curve that stays on the current point; their count. */
static Py_ssize_t curve_segments(const Py_buffer *tags, const Py_buffer *points, const double *frame,
                                 long long *start, Segment *out)
{
    Py_ssize_t n = points->shape[0], m = 0;
    if (map_point(points->buf, n - 1, 2, frame, start) < 0)
        return -1;
    long long x = start[0], y = start[1];
    for (Py_ssize_t i = 0; i < n; i++) {
        long long tag;
        if (tags->itemsize == 8) {
            memcpy(&tag, (const char *)tags->buf + 8 * i, 8);
        } else {
            int t;
            memcpy(&t, (const char *)tags->buf + 4 * i, 4);
            tag = t;
        }
        Segment *s = &out[m];
        if (tag == POTRACE_CORNER) {  /* lines to the vertex c2 and on to the end; c1 is unused */
            for (int k = 1; k <= 2; k++) {
                if (map_point(points->buf, i, k, frame, &s->v[4]) < 0)
                    return -1;
                if (s->v[4] != x || s->v[5] != y) {
                    s->cubic = 0;
                    x = s->v[4];
                    y = s->v[5];
                    s = &out[++m];
                }
            }
        } else {
            for (int k = 0; k < 3; k++)
                if (map_point(points->buf, i, k, frame, &s->v[2 * k]) < 0)
                    return -1;
            const long long *v = s->v;
            if (v[0] == x && v[1] == y && v[2] == x && v[3] == y && v[4] == x && v[5] == y)
                continue;
            s->cubic = 1;
            x = v[4];
            y = v[5];
            m++;
        }
    }
    return m;
}

static PyObject *int_tuple(const long long *v, int n)
{
    PyObject *t = PyTuple_New(n);
    if (t == NULL)
        return NULL;
    for (int k = 0; k < n; k++) {
        PyObject *item = PyLong_FromLongLong(v[k]);
        if (item == NULL) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, k, item);
    }
    return t;
}

/* vectorize._reversed: (start, segments) run backwards, each segment ending where the one before it began. */
static PyObject *reversed_contour(const long long *start, const Segment *segs, Py_ssize_t m)
{
    PyObject *contour = PyTuple_New(2), *out = PyTuple_New(m), *first = int_tuple(start, 2);
    if (contour == NULL || out == NULL || first == NULL)
        goto fail;
    for (Py_ssize_t j = 0; j < m; j++) {
        Py_ssize_t i = m - 1 - j;
        const long long *back = i ? &segs[i - 1].v[4] : start;
        const long long *v = segs[i].v;
        long long cubic[6] = {v[2], v[3], v[0], v[1], back[0], back[1]};
        PyObject *seg = segs[i].cubic ? int_tuple(cubic, 6) : int_tuple(back, 2);
        if (seg == NULL)
            goto fail;
        PyTuple_SET_ITEM(out, j, seg);
    }
    PyTuple_SET_ITEM(contour, 0, first);
    PyTuple_SET_ITEM(contour, 1, out);
    return contour;
fail:
    Py_XDECREF(contour);
    Py_XDECREF(out);
    Py_XDECREF(first);
    return NULL;
}

/* ---- module functions ------------------------------------------------------------------------ */

PyDoc_STRVAR(bounds_doc,
"bounds(contours) -> (xMin, yMin, xMax, yMax) or None\n\n"
"glyphdata.outline_bounds: the exact (curve-extrema) bounds widened to integers, as BoundsPen's.");

static PyObject *py_bounds(PyObject *self, PyObject *contours)
{
    (void)self;
    Outline o;
    if (outline_read(contours, &o) < 0)
        return NULL;
    PyObject *result = outline_bounds(&o);
    outline_free(&o);
    return result;
}

PyDoc_STRVAR(cubics_doc,
"cubics(contours) -> bytearray\n\n"
"glyphdata.cubics as float64 bytes (writable, as the reference's array): every cubic\n"
"[(p0, p1, p2, p3) of (x, y)], p0 its start point.");

static PyObject *py_cubics(PyObject *self, PyObject *contours)
{
    (void)self;
    Outline o;
    if (outline_read(contours, &o) < 0)
        return NULL;
    PyObject *result = NULL;
    if (o.ncubics > PY_SSIZE_T_MAX / (Py_ssize_t)(8 * sizeof(double)))
        PyErr_NoMemory();
    else if ((result = PyByteArray_FromStringAndSize(NULL, o.ncubics * 8 * (Py_ssize_t)sizeof(double))) != NULL)
        outline_cubics(&o, (double *)PyByteArray_AS_STRING(result));
    outline_free(&o);
    return result;
}

PyDoc_STRVAR(charstring_doc,
"charstring(contours, width=None) -> bytes\n\n"
"cff.charstring_program: rmoveto, chained rlineto/rrcurveto, endchar; the width (an int) on the\n"
"first rmoveto, or on endchar for an empty glyph.");

static PyObject *py_charstring(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *contours, *width_obj = Py_None;
    long long width = 0;
    if (!PyArg_ParseTuple(args, "O|O:charstring", &contours, &width_obj))
        return NULL;
    if (width_obj != Py_None) {
        int overflow;
        width = PyLong_AsLongLongAndOverflow(width_obj, &overflow);
        if (overflow)
            return PyErr_Format(PyExc_OverflowError, "charstring width %R does not fit in 32 bits", width_obj);
        if (width == -1 && PyErr_Occurred())
            return NULL;
    }
    Outline o;
    if (outline_read(contours, &o) < 0)
        return NULL;
    PyObject *result = NULL;
    /* Each number takes at most 5 bytes, each operator 1: 6 numbers and 1 operator a segment at most,
     * 3 numbers and 1 operator a moveto, the width and endchar. */
    Py_ssize_t numbers = o.nsegs * 6 + o.ncontours * 3 + 1, ops = o.nsegs + o.ncontours + 1;
    unsigned char *buf = PyMem_New(unsigned char, 5 * numbers + ops);
    if (buf == NULL) {
        PyErr_NoMemory();
    } else {
        Py_ssize_t len = charstring_encode(&o, width_obj != Py_None, width, buf);
        if (len >= 0)
            result = PyBytes_FromStringAndSize((const char *)buf, len);
    }
    PyMem_Free(buf);
    outline_free(&o);
    return result;
}

PyDoc_STRVAR(glyf_doc,
"glyf(contours, offcurve, counts) -> (data, bounds or None, points, contours)\n\n"
"ttglyph.encode: the compiled TrueType glyph. offcurve (float64 [n, 2]) and counts (int [cubics])\n"
"are the outline's quadratic splines from quadratic.splines, cubic by cubic.");

static PyObject *py_glyf(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *contours, *off_obj, *counts_obj, *result = NULL;
    Py_buffer off;
    Outline o;
    if (!PyArg_ParseTuple(args, "OOO:glyf", &contours, &off_obj, &counts_obj) || outline_read(contours, &o) < 0)
        return NULL;
    if (get_offcurve(off_obj, &off) == 0) {
        long long *counts = read_counts(counts_obj, o.ncubics, off.shape[0]);
        if (counts != NULL)
            result = glyf_encode(&o, (const char *)off.buf, counts);
        PyMem_Free(counts);
        PyBuffer_Release(&off);
    }
    outline_free(&o);
    return result;
}

PyDoc_STRVAR(contours_doc,
"contours(curves, scale, x0, y0) -> contours\n\n"
"vectorize.trace's step from potrace_lib.trace_mask's curves to an Outline's contours: each point\n"
"mapped to np.rint((x0 + scale * x, y0 - scale * y)), repeated corner points and curves that stay\n"
"put dropped, contours of fewer than 2 segments left out, each contour reversed.");

static PyObject *py_contours(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *curves_obj, *curves, *contours = NULL;
    double scale, x0, y0;
    if (!PyArg_ParseTuple(args, "Oddd:contours", &curves_obj, &scale, &x0, &y0)
        || (curves = as_tuple(curves_obj, "curves")) == NULL)
        return NULL;
    const double frame[4] = {scale, -scale, x0, y0};  /* numpy's points * (s, -s) + (x0, y0) */
    Segment *segs = NULL;
    Py_ssize_t cap = 0, ncurves = PyTuple_GET_SIZE(curves);
    PyObject *list = PyList_New(0);
    if (list == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < ncurves; i++) {
        Py_buffer tags, points;
        if (get_curve(PyTuple_GET_ITEM(curves, i), &tags, &points) < 0)
            goto done;
        Py_ssize_t n = points.shape[0];
        if (n > cap) {  /* a corner makes up to two lines */
            Segment *grown = (size_t)n > PY_SSIZE_T_MAX / (2 * sizeof(Segment))
                ? NULL : PyMem_Realloc(segs, 2 * (size_t)n * sizeof(Segment));
            if (grown == NULL) {
                PyBuffer_Release(&tags);
                PyBuffer_Release(&points);
                PyErr_NoMemory();
                goto done;
            }
            segs = grown;
            cap = n;
        }
        long long start[2];
        Py_ssize_t m = curve_segments(&tags, &points, frame, start, segs);
        PyBuffer_Release(&tags);
        PyBuffer_Release(&points);
        if (m < 0)
            goto done;
        if (m >= 2) {
            PyObject *contour = reversed_contour(start, segs, m);
            int failed = contour == NULL || PyList_Append(list, contour) < 0;
            Py_XDECREF(contour);
            if (failed)
                goto done;
        }
    }
    contours = PyList_AsTuple(list);
done:
    Py_XDECREF(list);
    Py_DECREF(curves);
    PyMem_Free(segs);
    return contours;
}

static PyMethodDef methods[] = {
    {"bounds", py_bounds, METH_O, bounds_doc},
    {"cubics", py_cubics, METH_O, cubics_doc},
    {"charstring", py_charstring, METH_VARARGS, charstring_doc},
    {"glyf", py_glyf, METH_VARARGS, glyf_doc},
    {"contours", py_contours, METH_VARARGS, contours_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_encode",
    "C twins of the per-glyph outline steps (vectorize, glyphdata, cff, ttglyph): the same results, faster.",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__encode(void)
{
    return PyModule_Create(&module);
}
