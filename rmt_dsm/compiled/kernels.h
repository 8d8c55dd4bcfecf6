/* The calling side of the generated C kernels (rmt_dsm/compiled/_kernels.c and _kernels_body.h, written by
 * rmt_dsm/compiled/cgen.py from the shipped numpy modules): one Python callable per generated
 * function, which evaluates it in C at Python floats (double) or numpy longdouble scalars
 * (long double) and hands anything else to the Python function it was bound with.
 *
 * Exactness: the kernels perform the Python function's operations in its order (no contraction
 * into fused multiply-adds, pow and sqrt from the same libm, built with -ffp-contract=off
 * -fno-builtin), so at floats they return the same bits.  Where the Python function would raise
 * or warn (a division by zero, an overflow, an invalid operation such as the square root of a
 * negative number: any floating-point exception flag) or where an output is not finite, the
 * Python function is called instead and decides; so it is for any argument that is not a float
 * (a float subclass such as numpy.float64 included), a numpy longdouble scalar or the int 0.  rmt_dsm/compiled/kernels.py binds them. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <fenv.h>
#include <locale.h>
#include <stdatomic.h>
#ifndef _WIN32
#include <pthread.h>
#include <sched.h>
#else
#define sched_yield() ((void)0)
#endif
#include <math.h>
#include <string.h>

typedef void (*kd_fn)(const double *, double *);
typedef void (*kl_fn)(const long double *, long double *);

/* one generated function: the KEY of its module, its name, the numbers of arguments and of
 * outputs (row-major), the form (head, cols) of `shape` in which its source returns them, and
 * its double and long double bodies */
typedef struct {
    const char *key;
    const char *name;
    int nargs, nout, head, cols;
    kd_fn d;
    kl_fn l;
} kernel;

/* the table of the generated functions (defined at the end of _kernels.c) */
static const kernel *kernels_table(int *n);

#define MAXARGS 64
#define MAXOUT 256
#define FLAGS (FE_DIVBYZERO | FE_INVALID | FE_OVERFLOW)

/* set by setup(): numpy.longdouble, and a function bytes -> list of numpy longdouble scalars */
static PyObject *LD_TYPE = NULL, *LD_FROM_BYTES = NULL;

/* The int 0 (the derivative a chart does not need, passed as 0): any operation with it is
 * exact, in Python as in C; other ints go to the Python function (its int arithmetic is exact). */
static int is_zero_int(PyObject *a) {
    if (!PyLong_CheckExact(a))
        return 0;
    int overflow;
    long v = PyLong_AsLongAndOverflow(a, &overflow);
    return v == 0 && !overflow;
}

/* The outputs as the Python side expects them (`form`, bound with the kernel): one number
 * (head = -1), a flat list (head = 0, cols = 0), the rows of `cols` entries (head = 0), or the
 * tuple (the first `head` outputs, the rows of the rest) of (F, J). */
static PyObject *shape(PyObject *flat, Py_ssize_t n, int head, int cols) {
    if (head < 0) {
        PyObject *v = PyList_GET_ITEM(flat, 0);
        Py_INCREF(v);
        Py_DECREF(flat);
        return v;
    }
    if (cols == 0)
        return flat;
    Py_ssize_t nrows = (n - head) / cols;
    PyObject *rows = PyList_New(nrows);
    if (rows == NULL) {
        Py_DECREF(flat);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nrows; i++) {
        PyObject *row = PyList_GetSlice(flat, head + i * cols, head + (i + 1) * cols);
        if (row == NULL) {
            Py_DECREF(rows);
            Py_DECREF(flat);
            return NULL;
        }
        PyList_SET_ITEM(rows, i, row);
    }
    if (head == 0) {
        Py_DECREF(flat);
        return rows;
    }
    PyObject *first = PyList_GetSlice(flat, 0, head);
    Py_DECREF(flat);
    if (first == NULL) {
        Py_DECREF(rows);
        return NULL;
    }
    PyObject *out = PyTuple_Pack(2, first, rows);
    Py_DECREF(first);
    Py_DECREF(rows);
    return out;
}

/* self: (index into KERNELS, the Python function in the same form, head, cols) */
static PyObject *call(PyObject *self, PyObject *const *av, Py_ssize_t na) {
    int nk;
    const kernel *k = kernels_table(&nk) + PyLong_AsLong(PyTuple_GET_ITEM(self, 0));
    PyObject *fallback = PyTuple_GET_ITEM(self, 1);
    int head = (int)PyLong_AsLong(PyTuple_GET_ITEM(self, 2));
    int cols = (int)PyLong_AsLong(PyTuple_GET_ITEM(self, 3));
    int extended = 0;
    if (na != k->nargs)
        goto python;
    for (Py_ssize_t i = 0; i < na; i++) {
        PyObject *a = av[i];
        if (PyFloat_Check(a) || is_zero_int(a))
            continue;
        if (LD_TYPE != NULL && (PyObject *)Py_TYPE(a) == LD_TYPE) {
            extended = 1;
            continue;
        }
        goto python; /* other ints, arrays, complex, mpmath numbers, ...: the Python function */
    }
    if (!extended) {
        double in[MAXARGS], out[MAXOUT];
        for (Py_ssize_t i = 0; i < na; i++)
            in[i] = PyFloat_Check(av[i]) ? PyFloat_AS_DOUBLE(av[i]) : 0.0;
        feclearexcept(FLAGS);
        k->d(in, out);
        if (fetestexcept(FLAGS))
            goto python;
        for (int j = 0; j < k->nout; j++)
            if (!isfinite(out[j]))
                goto python;
        PyObject *flat = PyList_New(k->nout);
        if (flat == NULL)
            return NULL;
        for (int j = 0; j < k->nout; j++) {
            PyObject *v = PyFloat_FromDouble(out[j]);
            if (v == NULL) {
                Py_DECREF(flat);
                return NULL;
            }
            PyList_SET_ITEM(flat, j, v);
        }
        return shape(flat, k->nout, head, cols);
    } else {
        long double in[MAXARGS], out[MAXOUT];
        for (Py_ssize_t i = 0; i < na; i++) {
            PyObject *a = av[i];
            if (PyFloat_Check(a)) {
                in[i] = (long double)PyFloat_AS_DOUBLE(a);
            } else if (PyLong_CheckExact(a)) { /* a zero int */
                in[i] = 0.0L;
            } else {
                Py_buffer view;
                if (PyObject_GetBuffer(a, &view, PyBUF_SIMPLE) < 0) {
                    PyErr_Clear();
                    goto python;
                }
                if (view.len != (Py_ssize_t)sizeof(long double)) {
                    PyBuffer_Release(&view);
                    goto python;
                }
                memcpy(&in[i], view.buf, sizeof(long double));
                PyBuffer_Release(&view);
            }
        }
        feclearexcept(FLAGS);
        k->l(in, out);
        if (fetestexcept(FLAGS))
            goto python;
        for (int j = 0; j < k->nout; j++)
            if (!isfinite(out[j]))
                goto python;
        PyObject *bytes = PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)(k->nout * sizeof(long double)));
        if (bytes == NULL)
            return NULL;
        PyObject *flat = PyObject_CallOneArg(LD_FROM_BYTES, bytes);
        Py_DECREF(bytes);
        if (flat == NULL)
            return NULL;
        if (!PyList_CheckExact(flat) || PyList_GET_SIZE(flat) != k->nout) {
            Py_DECREF(flat);
            PyErr_SetString(PyExc_TypeError, "kernels: the longdouble reader must return a list of the outputs");
            return NULL;
        }
        return shape(flat, k->nout, head, cols);
    }
python:
    return PyObject_Vectorcall(fallback, av, (size_t)na, NULL);
}

static PyMethodDef CALL = {"kernel", (PyCFunction)(void (*)(void))call, METH_FASTCALL,
                           "A generated function evaluated in C (see rmt_dsm/compiled/kernels.h)."};

/* bind(index, fallback, head, cols) -> the callable */
static PyObject *bind(PyObject *mod, PyObject *args) {
    long index;
    PyObject *fallback;
    int head, cols;
    if (!PyArg_ParseTuple(args, "lOii", &index, &fallback, &head, &cols))
        return NULL;
    int nk;
    const kernel *all = kernels_table(&nk);
    if (index < 0 || index >= nk) {
        PyErr_SetString(PyExc_IndexError, "bind: no kernel with this index");
        return NULL;
    }
    const kernel *k = &all[index];
    if (!PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "bind: fallback must be callable");
        return NULL;
    }
    if ((head < 0 && k->nout != 1) || head > k->nout || cols < 0 || (cols > 0 && (k->nout - head) % cols)) {
        PyErr_SetString(PyExc_ValueError, "bind: the form does not fit the outputs");
        return NULL;
    }
    PyObject *self = Py_BuildValue("(lOii)", index, fallback, head, cols);
    if (self == NULL)
        return NULL;
    PyObject *f = PyCFunction_New(&CALL, self);
    Py_DECREF(self);
    return f;
}

/* table() -> [(key, name, nargs, nout, head, cols)] by index */
static PyObject *table(PyObject *mod, PyObject *unused) {
    int nk;
    const kernel *all = kernels_table(&nk);
    PyObject *out = PyList_New(nk);
    if (out == NULL)
        return NULL;
    for (int i = 0; i < nk; i++) {
        const kernel *k = &all[i];
        PyObject *row = Py_BuildValue("(ssiiii)", k->key, k->name, k->nargs, k->nout, k->head, k->cols);
        if (row == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, row);
    }
    return out;
}

/* setup(numpy.longdouble, reader) with reader(bytes) -> list of numpy longdouble scalars, when
 * numpy's longdouble is C's long double (its itemsize, checked by the caller) */
static PyObject *setup(PyObject *mod, PyObject *args) {
    PyObject *t, *r;
    if (!PyArg_ParseTuple(args, "OO", &t, &r))
        return NULL;
    Py_XINCREF(t);
    Py_XINCREF(r);
    Py_XSETREF(LD_TYPE, t);
    Py_XSETREF(LD_FROM_BYTES, r);
    Py_RETURN_NONE;
}

#include "one_point.h"

static PyMethodDef METHODS[] = {
    {"bind", bind, METH_VARARGS, "bind(index, fallback, head, cols): the kernel `index` as a callable."},
    {"table", table, METH_NOARGS, "table(): [(module KEY, function name, arguments, outputs, head, cols)] by index."},
    {"setup", setup, METH_VARARGS, "setup(longdouble type, reader): enable the long double kernels."},
    {"one_point", one_point, METH_VARARGS, "one_point(kernels, obs, positions, constants): the C path of one point."},
    {"records", (PyCFunction)(void (*)(void))records, METH_FASTCALL,
     "records(cls, params, table, ratios, charts, coefficients): the results of a chain."},
    {"decimal", decimal, METH_O, "decimal(x): bytes of the long double the chain reads the float x as."},
    {"chain", (PyCFunction)(void (*)(void))chain, METH_FASTCALL,
     "chain(one, t64, tld, tm, points, stores, i0, out, threads): the C path along many points."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_kernels",
                                    "Generated C kernels of the shipped numeric code (rmt_dsm.compiled.kernels).",
                                    -1, METHODS};

PyMODINIT_FUNC PyInit__kernels(void) {
    PyObject *m = PyModule_Create(&MODULE);
    if (m != NULL && PyModule_AddIntConstant(m, "LONG_DOUBLE_SIZE", (long)sizeof(long double)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
