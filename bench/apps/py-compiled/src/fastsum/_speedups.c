#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *sum_squares(PyObject *self, PyObject *args) {
    long long n, total = 0;
    if (!PyArg_ParseTuple(args, "L", &n)) return NULL;
    for (long long i = 1; i <= n; i++) total += i * i;
    return PyLong_FromLongLong(total);
}

static PyMethodDef methods[] = {{"sum_squares", sum_squares, METH_VARARGS, "1² + … + n²"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
