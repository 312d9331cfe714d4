"""The machine a benchmark runs on: allocator settings, BLAS, CPU, and resident-memory probes."""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.metadata
import os
import platform
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

# Blocks above the mmap threshold are mapped fresh on every allocation and unmapped on free, so
# each step pays the first-touch page faults of its large temporaries again. 1 GiB keeps every
# array of these benchmarks (at most a few hundred MiB) on the heap.
MMAP_THRESHOLD = 1 << 30
# Never give freed heap memory back to the OS (returning it and faulting it in again is the
# cost being avoided), and grow the heap in large steps.
TRIM_THRESHOLD = (1 << 31) - 1
TOP_PAD = 256 << 20


@dataclass(frozen=True)
class AllocatorSetting:
    """What `configure_allocator` did.

    Attributes:
        applied: whether the mallopt calls were made and all succeeded.
        note: one line saying what was set, or why nothing was.
    """

    applied: bool
    note: str


def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def configure_allocator(enable: bool = True) -> AllocatorSetting:
    """Make glibc keep freed buffers for reuse instead of returning them to the OS.

    Raises M_MMAP_THRESHOLD, M_TRIM_THRESHOLD and M_TOP_PAD with ``mallopt``. Call it before
    the big arrays are allocated. Does nothing (and says so) when disabled or not on glibc.
    """
    if not enable:
        return AllocatorSetting(False, "mallopt not called (--no-mallopt): glibc defaults")
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return AllocatorSetting(False, "not glibc: mallopt unavailable, allocator left as is")
    settings = (
        ("M_MMAP_THRESHOLD", _M_MMAP_THRESHOLD, MMAP_THRESHOLD),
        ("M_TRIM_THRESHOLD", _M_TRIM_THRESHOLD, TRIM_THRESHOLD),
        ("M_TOP_PAD", _M_TOP_PAD, TOP_PAD),
    )
    failed = [name for name, param, value in settings if libc.mallopt(param, value) != 1]
    done = ", ".join(f"{name}={value}" for name, _, value in settings)
    if failed:
        return AllocatorSetting(False, f"mallopt refused {failed} (asked for {done})")
    return AllocatorSetting(True, f"glibc mallopt {done}")


# ------------------------------------------------------------------------------------ BLAS


def _loaded_blas_paths() -> list[str]:
    try:
        with open("/proc/self/maps") as f:
            paths = {
                line.split()[-1]
                for line in f
                if ("blas" in line.lower() or "mkl_rt" in line.lower()) and "/" in line
            }
    except OSError:
        return []
    return sorted(paths)


def _openblas_query(path: str) -> dict[str, str]:
    """Ask a loaded OpenBLAS (or MKL) for its kernel (core) name, configuration and threads."""
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return {}
    out: dict[str, str] = {}
    mkl_threads = getattr(lib, "MKL_Get_Max_Threads", None)
    if mkl_threads is not None:
        mkl_threads.restype = ctypes.c_int
        return {"kernel": "MKL", "threads": str(mkl_threads())}
    # numpy's wheels rename the symbols: scipy_openblas_get_corename64_ and friends.
    for key, stem, restype in (
        ("kernel", "get_corename", ctypes.c_char_p),
        ("config", "get_config", ctypes.c_char_p),
        ("threads", "get_num_threads", ctypes.c_int),
    ):
        for prefix in ("scipy_openblas_", "openblas_"):
            fn = next(
                (
                    getattr(lib, f"{prefix}{stem}{suffix}")
                    for suffix in ("64_", "", "_64_")
                    if hasattr(lib, f"{prefix}{stem}{suffix}")
                ),
                None,
            )
            if fn is None:
                continue
            fn.restype = restype
            value = fn()
            if isinstance(value, bytes):
                value = value.decode(errors="replace").strip()
            out[key] = str(value)
            break
    return out


def _threadpools() -> list[dict[str, str]] | None:
    """threadpoolctl's view of the loaded thread pools (BLAS, OpenMP), or None without it."""
    try:
        import threadpoolctl  # not a dependency: used only if present
    except ImportError:
        return None
    keys = ("user_api", "internal_api", "version", "architecture", "num_threads")
    pools = []
    for pool in threadpoolctl.threadpool_info():
        entry = {k: str(pool.get(k)) for k in keys if pool.get(k) is not None}
        if pool.get("threading_layer"):
            entry["threading_layer"] = str(pool["threading_layer"])
        entry["library"] = os.path.basename(str(pool.get("filepath", "?")))
        pools.append(entry)
    return pools


def blas_info() -> dict[str, str]:
    """Which BLAS NumPy uses, its kernel and thread count, and BLAS-related environment.

    Uses threadpoolctl when it is installed; otherwise NumPy's build configuration and a
    read-only query of the loaded OpenBLAS (or MKL) library. Changes nothing.
    """
    info: dict[str, str] = {}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        info["name"] = str(blas.get("name", "?"))
        info["version"] = str(blas.get("version", "?"))
    except Exception:  # older NumPy: no dict mode
        info["name"] = "unknown (np.show_config() prints it)"
    pools = _threadpools()
    blas_pools = [p for p in pools or [] if p.get("user_api") == "blas"]
    if blas_pools:
        pool = blas_pools[0]
        info["kernel"] = pool.get("architecture", "?")
        info["threads"] = pool.get("num_threads", "?")
        info["library"] = pool.get("library", "?")
        info["source"] = "threadpoolctl"
    else:
        for path in _loaded_blas_paths():
            q = _openblas_query(path)
            if q:
                info.update(q)
                info["library"] = os.path.basename(path)
                info["source"] = "numpy build config + query of the loaded library"
                break
    if pools is not None:
        info["threadpools"] = "; ".join(
            f"{p.get('user_api', '?')}: {p.get('internal_api', '?')} {p.get('version', '')} "
            f"{p.get('num_threads', '?')} threads ({p.get('library', '?')})"
            for p in pools
        )
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))}
    info["env"] = ", ".join(f"{k}={v}" for k, v in sorted(env.items())) or "none set"
    return info


def load_average() -> str:
    """The 1-minute load average as text ('?' where the OS has none)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "?"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# The instruction-set flags that decide which kernels NumPy, OpenBLAS and numba pick.
SIMD_PREFIXES = ("sse", "ssse3", "pni", "avx", "fma", "f16c", "amx", "asimd", "sve", "neon")


def cpu_flags() -> list[str]:
    """Every flag of the first CPU in /proc/cpuinfo ('flags' on x86, 'Features' on Arm)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return line.split(":", 1)[1].split()
    except OSError:
        pass
    return []


def simd_flags(flags: list[str]) -> list[str]:
    """The vector-instruction flags among `flags` (SSE*, AVX*, AVX-512*, FMA, ...), sorted."""
    return sorted(f for f in flags if f.startswith(SIMD_PREFIXES))


def package_version(name: str) -> str:
    """The installed version of a distribution, or 'not installed' (nothing is imported)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    """CPU (model and SIMD flags), cores, memory, Python, NumPy, numba, BLAS and libc."""
    blas = blas_info()
    mem = "unknown"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                    break
    except OSError:
        pass
    blas_line = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    if "kernel" in blas:
        blas_line += f", kernel {blas['kernel']}"
    if "threads" in blas:
        blas_line += f", {blas['threads']} threads"
    if "source" in blas:
        blas_line += f" (read via {blas['source']})"
    flags = cpu_flags()
    torch_version = package_version("torch")
    torch_mod = sys.modules.get("torch")
    if torch_mod is not None:  # only if already imported: importing it here costs seconds
        torch_version += f" ({torch_mod.get_num_threads()} threads)"
    try:
        affinity = str(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        affinity = "?"
    return {
        "cpu": cpu_model(),
        "simd": " ".join(simd_flags(flags)) or "unknown",
        "cpu_flags": " ".join(flags),
        "nproc": str(os.cpu_count()),
        "affinity": affinity,
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "libc": " ".join(platform.libc_ver()) or "unknown",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": package_version("numba"),
        "llvmlite": package_version("llvmlite"),
        "threadpoolctl": package_version("threadpoolctl"),
        "torch": torch_version,
        "blas": blas_line,
        "blas_kernel": blas.get("kernel", "?"),
        "blas_threads": blas.get("threads", "?"),
        "blas_library": blas.get("library", "?"),
        "threadpools": blas.get("threadpools", "threadpoolctl not installed"),
        "blas_env": blas["env"],
    }


# ------------------------------------------------------------------------------------ memory


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_bytes() -> int | None:
    """This process's resident set size now (VmRSS), or None where /proc is missing."""
    kib = _status_kib("VmRSS")
    return None if kib is None else kib * 1024


def peak_rss_bytes() -> int | None:
    """The high-water mark of the resident set size (VmHWM) since start or the last reset."""
    kib = _status_kib("VmHWM")
    return None if kib is None else kib * 1024


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); return whether that worked."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True
