"""Hand-written fused Numba kernels for the seven benchmark workloads: what a Numba backend
would generate, measured against the hand-written NumPy of benchmarks/workloads.py.

    python benchmarks/numba_prototypes.py                    # all workloads, all cores
    python benchmarks/numba_prototypes.py --quick --only sin --threads 1
    python benchmarks/numba_prototypes.py --driver prange    # Numba's parallel loops

Not part of the test suite (it needs numba and takes minutes). Each workload runs in fresh
processes: one compiles its kernels into an empty cache directory (cold), a second loads
them from that cache (warm; Numba's own start-up, paid once per process, is timed apart),
and a third times hand-written NumPy against the kernels in interleaved rounds (median of
the rounds, as in benchmarks/run.py, and the fastest round, which other load on the machine
disturbs least) and measures peak memory with tracemalloc (outputs are allocated with NumPy
outside the kernels, so tracemalloc sees them).

The kernels follow one shape (see ``SHAPE``): a serial block function holds the fused loop
(one statement per op, unsigned indices); a kernel runs it over a range of blocks with the
GIL released; a thread pool runs one range per core (``--driver prange`` uses Numba's
``prange`` instead). Reductions are kept per block and summed after (so results do not
depend on the thread count), transcendental functions come from ``numba_math``, and a block
whose trig arguments leave the fast range is computed again by an exact block function. The
scalar graph is compiled two ways: as one njit function and as LLVM IR through llvmlite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from workloads import WORKLOADS  # noqa: E402

FLAGS = '{"reassoc", "contract"}'
HEADER = f"""\
import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, prange
from symgrad.backends import numba_math as vm

BLOCK = 4096
KERNEL = dict(nogil=True, cache=True, fastmath={FLAGS}, error_model="numpy")
BLOCK_FUNCTION = dict(cache=True, fastmath={FLAGS}, error_model="numpy")
THREADS = int(os.environ.get("PROTOTYPE_THREADS") or os.cpu_count() or 1)
POOL = ThreadPoolExecutor(max(THREADS - 1, 1))


def in_parallel(kernel, n, *args):
    # kernel(*args, first, last) on range(n) split into one contiguous range per thread;
    # the calling thread runs the last range (kernels release the GIL: nogil=True)
    ranges = [(n * t // THREADS, n * (t + 1) // THREADS) for t in range(THREADS)]
    jobs = [POOL.submit(kernel, *args, first, last) for first, last in ranges[:-1]]
    kernel(*args, *ranges[-1])
    for job in jobs:
        job.result()
"""

# With --driver prange, each kernel(..., first, last) also gets a Numba-parallel driver
# (kernel_prange(..., n): a prange over range(n) calling the kernel on one item each), and
# in_parallel calls that instead of the thread pool.
PRANGE_FOOTER = f"""

PRANGE = {{}}
PARALLEL = dict(parallel=True, cache=True, fastmath={FLAGS}, error_model="numpy")
{{drivers}}

def in_parallel(kernel, n, *args):
    PRANGE[kernel](*args, n)
"""


def _with_driver(source: str, driver: str) -> str:
    if driver == "threads":
        return source
    drivers = []
    for line in source.splitlines():
        if line.startswith("def ") and line.endswith(", first, last):"):
            name, args = line[4 : -len(", first, last):")].split("(")
            drivers.append(
                f"\n@njit(**PARALLEL)\ndef {name}_prange({args}, n):\n"
                f"    for item in prange(n):\n        {name}({args}, item, item + 1)\n\n\n"
                f"PRANGE[{name}] = {name}_prange\n"
            )
    return source + PRANGE_FOOTER.replace("{drivers}", "".join(drivers))


SHAPE = """
@njit(cache=True, fastmath={"reassoc", "contract"}, error_model="numpy")
def block(x, g, lo, hi):                  # lo, hi: np.uint64
    acc = 0.0
    for i in range(lo, hi):
        <one statement per op>
    return acc

@njit(nogil=True, cache=True, fastmath={"reassoc", "contract"}, error_model="numpy")
def kernel(x, g, partial, first, last):   # blocks first..last-1, one thread
    for b in range(first, last):
        partial[b] = block(x, g, np.uint64(b * BLOCK), np.uint64(min(b * BLOCK + BLOCK, n)))

in_parallel(kernel, blocks, x, g, partial)   # a thread pool: one range of blocks per core
value = partial.sum()
"""


def _elementwise(body: list[str], value: str = "partial.sum()") -> str:
    """A one-input, one-gradient elementwise workload in the shape above."""
    lines = "\n".join("        " + line for line in body)
    return (
        HEADER
        + f"""
@njit(**BLOCK_FUNCTION)
def block(x, g, lo, hi):
    acc = 0.0
    for i in range(lo, hi):
{lines}
    return acc


@njit(**KERNEL)
def kernel(x, g, partial, first, last):
    n = x.shape[0]
    for b in range(first, last):
        partial[b] = block(x, g, np.uint64(b * BLOCK), np.uint64(min(b * BLOCK + BLOCK, n)))


def run(x):
    g = np.empty_like(x)
    partial = np.empty((x.shape[0] + BLOCK - 1) // BLOCK)
    in_parallel(kernel, partial.shape[0], x, g, partial)
    return {value}, [g]
"""
    )


# 1. y = 2 x.x ---------------------------------------------------------------------------------
DOT = _elementwise(
    ["v0 = x[i]", "v1 = v0 * v0", "acc += v1", "g[i] = 4.0 * v0"], "2.0 * partial.sum()"
)

# 7. 4x^3 + x^2 + 3 -----------------------------------------------------------------------------
POLY = _elementwise(
    [
        "v0 = x[i]",
        "v1 = v0 * v0",
        "v2 = v1 * v0",
        "acc += 4.0 * v2 + v1 + 3.0",
        "g[i] = 12.0 * v1 + 2.0 * v0",
    ]
)


# 2. sum(sin^50(x)) ----------------------------------------------------------------------------
def _sin50_source(depth: int = 50) -> str:
    """The straight-line kernel a writer emits: forward sin chain, reverse cos chain (LLVM
    merges the range reductions of sin and cos of one value), every trig argument counted
    against the fast range. Blocks with an argument out of range are computed again by an
    exact kernel (math.sin/math.cos), which the Python code compiles only if it is needed."""

    def body(fast: bool) -> list[str]:
        lines = ["v0 = x[i]"]
        sin = "vm.sin" if fast else "math.sin"
        cos = "vm.cos" if fast else "math.cos"
        lines += [f"v{k + 1} = {sin}(v{k})" for k in range(depth)]
        lines += [f"c{k} = {cos}(v{k})" for k in range(depth)]
        lines += [f"acc += v{depth}", f"t{depth} = 1.0"]
        lines += [f"t{k} = t{k + 1} * c{k}" for k in reversed(range(depth))]
        lines += ["g[i] = t0"]
        if fast:
            lines += ["outside += " + " + ".join(f"vm.trig_outside(v{k})" for k in range(depth))]
        return lines

    fast = "\n".join("        " + line for line in body(True))
    exact = "\n".join("        " + line for line in body(False))
    return (
        HEADER
        + f"""
@njit(**BLOCK_FUNCTION)
def block(x, g, lo, hi):
    acc = 0.0
    outside = 0
    for i in range(lo, hi):
{fast}
    return acc, outside


@njit(**KERNEL)
def kernel(x, g, partial, outside, first, last):
    n = x.shape[0]
    for b in range(first, last):
        lo, hi = np.uint64(b * BLOCK), np.uint64(min(b * BLOCK + BLOCK, n))
        partial[b], outside[b] = block(x, g, lo, hi)


@njit(**BLOCK_FUNCTION)
def exact_block(x, g, lo, hi):
    acc = 0.0
    for i in range(lo, hi):
{exact}
    return acc


def run(x):
    g = np.empty_like(x)
    blocks = (x.shape[0] + BLOCK - 1) // BLOCK
    partial = np.empty(blocks)
    outside = np.empty(blocks, np.int64)
    in_parallel(kernel, blocks, x, g, partial, outside)
    for b in np.flatnonzero(outside):  # rare: trig arguments beyond vm.TRIG_LIMIT
        lo, hi = np.uint64(b * BLOCK), np.uint64(min(b * BLOCK + BLOCK, x.shape[0]))
        partial[b] = exact_block(x, g, lo, hi)
    return partial.sum(), [g]
"""
    )


# 3. MLP: matmuls stay BLAS, the elementwise and softmax parts are kernels --------------------
MLP = (
    HEADER
    + """
@njit(**KERNEL)
def bias_tanh(z, b, first, last):
    # h = tanh(z + b) on rows first..last-1, in place: z is not needed afterwards
    cols = z.shape[1]
    for i in range(first, last):
        for j in range(cols):
            z[i, j] = vm.tanh(z[i, j] + b[j])


@njit(**KERNEL)
def softmax_xent(logits, b, t, g, partial, first, last):
    # per row: partial = sum(t * (logits + b - logsumexp(logits + b))), g = d loss / d logits
    rows, cols = logits.shape
    for i in range(first, last):
        top = -np.inf
        for j in range(cols):
            top = max(top, logits[i, j] + b[j])
        s = 0.0
        tsum = 0.0
        for j in range(cols):
            s += vm.exp(logits[i, j] + b[j] - top)
            tsum += t[i, j]
        lse = vm.log(s) + top
        acc = 0.0
        for j in range(cols):
            shifted = logits[i, j] + b[j] - lse
            acc += t[i, j] * shifted
            g[i, j] = (vm.exp(shifted) * tsum - t[i, j]) / rows
        partial[i] = acc


@njit(**KERNEL)
def tanh_back(gh, h, gb, first, last):
    # gz = gh * (1 - h*h) in place and gb = column sums of gz, for column blocks
    # first..last-1 (64 columns each): rows in order, columns contiguous (vectorized)
    rows, cols = gh.shape
    for c in range(first, last):
        lo = np.uint64(c * 64)  # unsigned: no negative-index wraparound, no scatters
        hi = np.uint64(min(c * 64 + 64, cols))
        for j in range(lo, hi):
            gb[j] = 0.0
        for i in range(rows):
            for j in range(lo, hi):
                v = gh[i, j] * (1.0 - h[i, j] * h[i, j])
                gh[i, j] = v
                gb[j] += v


def run(x, t, w1, b1, w2, b2):
    h = x @ w1
    in_parallel(bias_tanh, h.shape[0], h, b1)
    logits = h @ w2
    g_logits = np.empty_like(logits)
    partial = np.empty(logits.shape[0])
    softmax_xent(logits, b2, t, g_logits, partial, 0, logits.shape[0])  # 256 x 10: one thread
    g_w2 = h.T @ g_logits
    g_b2 = g_logits.sum(axis=0)
    g_z = g_logits @ w2.T
    g_b1 = np.empty(h.shape[1])
    in_parallel(tanh_back, (h.shape[1] + 63) // 64, g_z, h, g_b1)
    return -partial.sum() / logits.shape[0], [x.T @ g_z, g_b1, g_w2, g_b2]
"""
)

# 4. Rosenbrock: one pass over the output index, reading x[i-1] and x[i+1] ------------------
ROSEN = (
    HEADER
    + """
ONE = np.uint64(1)


@njit(**BLOCK_FUNCTION)
def block(x, g, lo, hi):
    acc = 0.0
    for i in range(lo, hi):
        a = x[i]
        d = x[i + ONE] - a * a
        p = x[i - ONE]
        dp = a - p * p
        acc += 100.0 * d * d + (1.0 - a) * (1.0 - a)
        g[i] = -400.0 * d * a - 2.0 * (1.0 - a) + 200.0 * dp
    return acc


@njit(**KERNEL)
def kernel(x, g, partial, first, last):
    n = x.shape[0]
    for b in range(first, last):
        lo = np.uint64(max(b * BLOCK, 1))
        hi = np.uint64(min(b * BLOCK + BLOCK, n - 1))
        partial[b] = block(x, g, lo, hi)


@njit(**BLOCK_FUNCTION)
def ends(x, g):
    # the two ends, where one of the two terms is missing
    n = x.shape[0]
    a = x[0]
    d = x[1] - a * a
    g[0] = -400.0 * d * a - 2.0 * (1.0 - a)
    p = x[n - 2]
    g[n - 1] = 200.0 * (x[n - 1] - p * p)
    return 100.0 * d * d + (1.0 - a) * (1.0 - a)


def run(x):
    g = np.empty_like(x)
    partial = np.empty((x.shape[0] + BLOCK - 1) // BLOCK)
    in_parallel(kernel, partial.shape[0], x, g, partial)
    return partial.sum() + ends(x, g), [g]
"""
)

# 5. logsumexp(A x): both matrix passes are kernels ------------------------------------------
LSE = (
    HEADER
    + """
@njit(**KERNEL)
def forward(a, x, z, first, last):
    cols = a.shape[1]
    for i in range(first, last):
        acc = 0.0
        for j in range(cols):
            acc += a[i, j] * x[j]
        z[i] = acc


@njit(**BLOCK_FUNCTION)
def softmax(z, p):
    top = -np.inf
    for i in range(z.shape[0]):
        top = max(top, z[i])
    s = 0.0
    for i in range(z.shape[0]):
        e = vm.exp(z[i] - top)
        p[i] = e
        s += e
    for i in range(z.shape[0]):
        p[i] /= s
    return vm.log(s) + top


@njit(**KERNEL)
def backward(a, x, p, ga, gx_parts, first, last):
    # ga = outer(p, x) and gx = a.T @ p in one pass over a: row block b (of 125 rows) adds
    # its share of gx into row b of gx_parts
    rows, cols = a.shape
    per = (rows + gx_parts.shape[0] - 1) // gx_parts.shape[0]
    for b in range(first, last):
        for j in range(cols):
            gx_parts[b, j] = 0.0
        for i in range(b * per, min(b * per + per, rows)):
            pi = p[i]
            for j in range(cols):
                ga[i, j] = pi * x[j]
                gx_parts[b, j] += pi * a[i, j]


def run(a, x):
    z = np.empty(a.shape[0])
    in_parallel(forward, a.shape[0], a, x, z)
    p = np.empty_like(z)
    value = softmax(z, p)
    ga = np.empty_like(a)
    parts = np.empty((8, a.shape[1]))
    in_parallel(backward, parts.shape[0], a, x, p, ga, parts)
    return value, [ga, parts.sum(axis=0)]
"""
)

# 6. the scalar graph as one njit function -------------------------------------------------


def _scalar_numba_source(steps: int = 500) -> str:
    lines = []
    for k in range(steps):
        lines += [
            f"a{k} = math.sin(x{k})",
            f"b{k} = a{k} * y",
            f"c{k} = x{k} * y",
            f"d{k} = math.cos(c{k})",
            f"x{k + 1} = b{k} + d{k}",
        ]
    lines += ["gx = 1.0", "gy = 0.0"]
    for k in reversed(range(steps)):
        lines += [
            f"e{k} = math.cos(x{k})",
            f"f{k} = math.sin(c{k})",
            f"gy = gy + gx * (a{k} - f{k} * x{k})",
            f"gx = gx * (e{k} * y - f{k} * y)",
        ]
    lines += [f"return x{steps}, gx, gy"]
    body = "\n".join("    " + line for line in lines)
    return f"""\
import math
from numba import njit


@njit(cache=True, error_model="numpy")
def scalar(x0, y):
{body}


def run(x, y):
    value, gx, gy = scalar(float(x), float(y))
    return value, [gx, gy]
"""


def _scalar_llvm_ir(steps: int = 500) -> str:
    """The same graph as LLVM IR in one basic block. sin and cos of one value (the forward
    pass needs sin(x), cos(x*y), the reverse pass cos(x), sin(x*y)) are one call to libm's
    sincos: half the calls of separate sin and cos."""
    lines = [
        "declare void @sincos(double, double*, double*)",
        "define void @scalar(double %x0, double %y, double* noalias nocapture %out) {",
        "entry:",
        "  %s = alloca double",
        "  %c = alloca double",
    ]
    for k in range(steps):
        lines += [
            f"  call void @sincos(double %x{k}, double* %s, double* %c)",
            f"  %a{k} = load double, double* %s",
            f"  %e{k} = load double, double* %c",
            f"  %b{k} = fmul double %a{k}, %y",
            f"  %c{k} = fmul double %x{k}, %y",
            f"  call void @sincos(double %c{k}, double* %s, double* %c)",
            f"  %f{k} = load double, double* %s",
            f"  %d{k} = load double, double* %c",
            f"  %x{k + 1} = fadd double %b{k}, %d{k}",
        ]
    gx, gy = "1.0", "0.0"
    for k in reversed(range(steps)):
        lines += [
            f"  %fx{k} = fmul double %f{k}, %x{k}",
            f"  %u{k} = fsub double %a{k}, %fx{k}",
            f"  %v{k} = fmul double {gx}, %u{k}",
            f"  %gy{k} = fadd double {gy}, %v{k}",
            f"  %ey{k} = fmul double %e{k}, %y",
            f"  %fy{k} = fmul double %f{k}, %y",
            f"  %w{k} = fsub double %ey{k}, %fy{k}",
            f"  %gx{k} = fmul double {gx}, %w{k}",
        ]
        gx, gy = f"%gx{k}", f"%gy{k}"
    lines += [
        f"  store double %x{steps}, double* %out",
        "  %p1 = getelementptr double, double* %out, i64 1",
        f"  store double {gx}, double* %p1",
        "  %p2 = getelementptr double, double* %out, i64 2",
        f"  store double {gy}, double* %p2",
        "  ret void",
        "}",
    ]
    return "\n".join(lines) + "\n"


class LLVMScalar:
    """Compile LLVM IR with llvmlite (fast instruction selection, no optimization passes:
    the graph is already optimized) and call it through ctypes; the object code is kept on
    disk by the hash of the IR."""

    def __init__(self, ir_text: str, cache: Path):
        import ctypes
        import hashlib

        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        target = llvm.Target.from_default_triple()
        machine = target.create_target_machine(
            cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=0
        )
        key = hashlib.sha256((machine.triple + llvm.get_host_cpu_name() + ir_text).encode())
        path = cache / f"scalar_{key.hexdigest()[:32]}.o"
        if path.exists():
            obj = path.read_bytes()
        else:
            module = llvm.parse_assembly(ir_text)
            module.verify()
            obj = machine.emit_object(module)
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(obj)
            os.replace(temporary, path)
        self.engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), machine)
        self.engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        self.engine.finalize_object()
        prototype = ctypes.CFUNCTYPE(
            None, ctypes.c_double, ctypes.c_double, ctypes.POINTER(ctypes.c_double)
        )
        self.function = prototype(self.engine.get_function_address("scalar"))
        self.out = (ctypes.c_double * 3)()

    def run(self, x, y):
        self.function(float(x), float(y), self.out)
        out = self.out
        return out[0], [out[1], out[2]]


SOURCES = {
    "1 2x.x (1e6)": DOT,
    "2 sin^50 (1e5)": _sin50_source(),
    "3 MLP 784-512-10": MLP,
    "4 Rosenbrock (1e6)": ROSEN,
    "5 logsumexp(Ax) 1000": LSE,
    "6 scalar 2500 nodes": _scalar_numba_source(),
    "7 4x^3+x^2+3 (1e6)": POLY,
}


# --- measuring -------------------------------------------------------------------------------


def _check(name, got, want):
    value, grads = got
    np.testing.assert_allclose(value, want[0], rtol=1e-9, err_msg=f"{name}: value")
    for g, h in zip(grads, want[1]):
        np.testing.assert_allclose(g, h, rtol=1e-8, atol=1e-10, err_msg=f"{name}: gradient")


def _source(name: str, driver: str) -> str:
    source = SOURCES[name]
    return source if name.startswith("6") else _with_driver(source, driver)


def _compile_once(name: str, cache: str, threads: int, driver: str) -> dict:
    """In this (fresh) process: Numba's start-up, then load + first call of the kernels."""
    start = time.perf_counter()
    import numba

    from symgrad.backends.numba_cache import load_source

    numba.set_num_threads(threads)
    os.environ["PROTOTYPE_THREADS"] = str(threads)  # the thread-pool driver's size
    warmup = load_source(
        "from numba import njit\n\n@njit(cache=True)\ndef one(x):\n    return x + 1\n", cache
    )
    warmup.one(1)  # Numba's typing and target set-up, paid once per process
    startup = time.perf_counter() - start
    w = next(w for w in WORKLOADS if w.name == name)
    data = w.data()
    start = time.perf_counter()
    module = load_source(_source(name, driver), cache)
    module.run(*data)
    first = time.perf_counter() - start
    extra = {}
    if name.startswith("6"):
        start = time.perf_counter()
        llvm_version = LLVMScalar(_scalar_llvm_ir(), Path(cache))
        llvm_version.run(*data)
        extra["llvm_first_call_s"] = time.perf_counter() - start
    return {"startup_s": startup, "first_call_s": first, **extra}


def _time(name: str, cache: str, threads: int, driver: str, seconds: float, repeats: int) -> dict:
    import numba
    from run import peak_memory

    from symgrad.backends.numba_cache import load_source

    numba.set_num_threads(threads)
    os.environ["PROTOTYPE_THREADS"] = str(threads)  # the thread-pool driver's size
    w = next(w for w in WORKLOADS if w.name == name)
    data = w.data()
    module = load_source(_source(name, driver), cache)
    reference = w.hand(*data)
    _check(name, module.run(*data), reference)
    contenders = {"hand": lambda: w.hand(*data), "numba": lambda: module.run(*data)}
    if name.startswith("6"):
        llvm_version = LLVMScalar(_scalar_llvm_ir(), Path(cache))
        _check(name + " (llvm)", llvm_version.run(*data), reference)
        contenders["llvm"] = lambda: llvm_version.run(*data)
    samples = _interleaved(contenders, seconds, repeats)
    times = {k: statistics.median(v) for k, v in samples.items()}
    fastest = {k: min(v) for k, v in samples.items()}
    memory = {k: peak_memory(fn) for k, fn in contenders.items()}
    return {"times": times, "fastest": fastest, "memory": memory}


def _interleaved(fns: dict, seconds: float, repeats: int) -> dict[str, list[float]]:
    """Seconds per call of each function in each of ``repeats`` rounds; a round times a batch
    of calls (about ``seconds``) of every function in turn (as benchmarks/run.py does)."""
    numbers = {}
    for name, fn in fns.items():
        fn()
        start = time.perf_counter()
        fn()
        numbers[name] = max(1, int(seconds / max(time.perf_counter() - start, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / numbers[name])
    return samples


def _in_fresh_process(*arguments: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *arguments], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repeats")
    parser.add_argument("--only", help="run workloads whose name contains this")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads per kernel")
    parser.add_argument(
        "--driver",
        choices=["threads", "prange"],
        default="threads",
        help="run kernels on a thread pool (nogil block ranges) or with Numba's prange",
    )
    parser.add_argument("--step", nargs=2, help=argparse.SUPPRESS)  # (what, workload)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    seconds, repeats = (0.05, 5) if args.quick else (0.2, 15)
    if args.step:
        what, name = args.step
        if what == "compile":
            result = _compile_once(name, args.cache, args.threads, args.driver)
        else:
            result = _time(name, args.cache, args.threads, args.driver, seconds, repeats)
        print(json.dumps(result))
        return
    import numba

    print(
        f"# numba {numba.__version__}, NumPy {np.__version__}, {os.cpu_count()} cores, "
        f"{args.threads} threads per kernel ({args.driver}), OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; time ratios to hand-written NumPy "
        f"(median and fastest of interleaved rounds, one run); compile: load + first call in a "
        f"fresh process"
    )
    header = ["workload", "hand ms", "numba x", "fastest x", "peak mem x"]
    header += ["cold s", "warm s", "startup s"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for w in WORKLOADS:
        if args.only and args.only not in w.name:
            continue
        with tempfile.TemporaryDirectory() as cache:
            common = ["--cache", cache, "--threads", str(args.threads), "--driver", args.driver]
            cold = _in_fresh_process("--step", "compile", w.name, *common)
            warm = _in_fresh_process("--step", "compile", w.name, *common)
            timing = _in_fresh_process(
                "--step", "time", w.name, *common, *(["--quick"] if args.quick else [])
            )
        times, memory = timing["times"], timing["memory"]
        hand = times["hand"]
        rows = [("numba", w.name)]
        if "llvm" in times:
            rows.append(("llvm", w.name + " (llvmlite IR)"))
        for key, label in rows:
            first = "llvm_first_call_s" if key == "llvm" else "first_call_s"
            cells = [
                label,
                f"{hand * 1e3:.3f}",
                f"{times[key] / hand:.3f}",
                f"{timing['fastest'][key] / timing['fastest']['hand']:.3f}",
                f"{memory[key] / max(memory['hand'], 1):.2f}",
                f"{cold[first]:.2f}",
                f"{warm[first]:.3f}",
                f"{warm['startup_s']:.2f}",
            ]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
