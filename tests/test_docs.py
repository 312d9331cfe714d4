"""The documentation is tested: its code runs, its shown output is real, and the site builds.

Conventions for the pages in ``docs/`` (a page's author needs nothing else):

- Every fenced ``python`` block runs. The blocks of one page run in order, in one namespace,
  in a process of their own whose working directory is an empty temporary folder, with
  matplotlib's Agg backend and the repository root on ``sys.path`` (the process is forked
  from one that has already imported NumPy, matplotlib and tinygrad_lite).
- A fenced ``text`` block that directly follows a python block (nothing but blank lines
  between) is that block's output: what the block prints to stdout must equal it exactly
  (trailing newlines aside). The pages write it as ``text title="Output"``, which the site
  shows as a titled box; only the first word of a fence's info string is its language.
  A ``...`` in the shown output stands for any text, as in doctest's ELLIPSIS mode; it is
  kept for digits that depend on the machine's floating-point rounding.
  A block that prints must show its output: printed text with no ``text`` block fails.
- ``<!-- skip -->`` on the line just above a python fence shows code without running it.
  Shell commands go in ``bash`` blocks, which never run.

Besides the pages' code, this file checks that every public class and function of the package
has a docstring, that ``mkdocs build --strict`` passes, that every formula in the built site is
valid for the vendored KaTeX (when Node.js is installed), and that the set-up commands on the
home page are the README's.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import inspect
import json
import os
import pkgutil
import re
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

import tinygrad_lite

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
KATEX_JS = DOCS / "javascripts" / "katex" / "katex.min.js"

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<info>[^`]*)$")
SKIP = "<!-- skip -->"


@dataclass
class Block:
    """One fenced code block of a page."""

    lang: str
    code: str
    line: int  # 1-based line of the first code line in the page
    skip: bool = False
    output: str | None = None  # the text block that follows, for python blocks


def parse_blocks(text: str) -> list[Block]:
    """Split a Markdown page into its fenced blocks, attaching each python block's output."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, ticks = m["indent"], m["ticks"]
        info = m["info"].strip()
        lang = info.split()[0].lower() if info else ""
        prev = next((s.strip() for s in reversed(lines[:i]) if s.strip()), "")
        start = i + 1
        j = start
        while j < len(lines) and lines[j].strip() != ticks:
            j += 1
        if j == len(lines):
            raise ValueError(f"unclosed code fence opened on line {i + 1}")
        body = [s[len(indent) :] if s.startswith(indent) else s.lstrip() for s in lines[start:j]]
        blocks.append(Block(lang, "\n".join(body) + "\n", start + 1, skip=prev == SKIP))
        i = j + 1
    # A text block right after a python block (blank lines between) is its output.
    for k, b in enumerate(blocks[:-1]):
        nxt = blocks[k + 1]
        if b.lang == "python" and nxt.lang == "text":
            between = lines[b.line + b.code.count("\n") : nxt.line - 2]
            if all(not s.strip() for s in between):
                b.output = nxt.code
    return blocks


def runnable(page: Path) -> list[Block]:
    """The python blocks of a page that the tests execute."""
    return [b for b in parse_blocks(page.read_text()) if b.lang == "python" and not b.skip]


ZYGOTE = r"""
import contextlib, io, json, os, sys, traceback
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy
import tinygrad_lite


def run_blocks(page, blocks, out_path):
    namespace = {"__name__": "__main__"}
    results = []
    for code, line in blocks:
        buf = io.StringIO()
        try:
            # Pad with newlines so that tracebacks name the page's own line numbers.
            compiled = compile("\n" * (line - 1) + code, page, "exec")
            with contextlib.redirect_stdout(buf):
                exec(compiled, namespace)
        except BaseException:
            results.append({"stdout": buf.getvalue(), "error": traceback.format_exc()})
            break
        results.append({"stdout": buf.getvalue(), "error": None})
        plt.close("all")
    with open(out_path, "w") as f:
        json.dump(results, f)


# One request per line on stdin; each page runs in a child forked from this process, which has
# done the imports every page needs. The reply is the child's exit status.
for request in sys.stdin:
    page, out_path, log_path, cwd, blocks = json.loads(request)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.chdir(cwd)
            log = os.open(log_path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            sys.stdin = open(os.devnull)
            run_blocks(page, blocks, out_path)
            sys.stdout.flush()
            status = 0
        finally:
            os._exit(status)
    _, code = os.waitpid(pid, 0)
    print(code, flush=True)
"""


class Zygote:
    """A process that imports what the pages need once, then forks a fresh child per page.

    A page's blocks run in a process of their own, as in a fresh interpreter, but without
    paying for the imports of NumPy, matplotlib and the library on every page (about a second
    each on a slow machine).
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        env = dict(os.environ)
        path = [str(ROOT), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(path).rstrip(os.pathsep)
        env["MPLBACKEND"] = "Agg"
        env.pop("HYPOTHESIS_PROFILE", None)
        return subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
            start_new_session=True,  # its own process group: closing it ends its children too
        )

    def run(self, request: list[object], timeout: float) -> int | None:
        """Run one page; its child's wait status, or None if the zygote died or timed out."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            line = self.proc.stdout.readline() if ready else ""
        except BrokenPipeError:
            line = ""
        if not line.strip():
            self.close()  # a page that hangs leaves no child behind to answer the next one
            return None
        return int(line)

    def close(self) -> None:
        """End the zygote and any page still running in it."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """This worker's zygote, for the pages of this module."""
    z = Zygote()
    try:
        yield z
    finally:
        z.close()


def run_page(
    page: Path, blocks: list[Block], tmp: Path, zygote: Zygote, timeout: float = 600
) -> list[dict[str, str | None]]:
    """Run a page's blocks in one fresh process and return each block's stdout and error."""
    out_path, log = tmp / "results.json", tmp / "page.log"
    cwd = tmp / "cwd"  # the page's working directory, empty
    cwd.mkdir()
    request = [str(page.relative_to(ROOT)), str(out_path), str(log), str(cwd)]
    status = zygote.run([*request, [(b.code, b.line) for b in blocks]], timeout)
    output = log.read_text() if log.exists() else ""
    if status != 0 or not out_path.exists():
        what = f"crashed (wait status {status})" if status is not None else "hung or died"
        pytest.fail(f"the runner for {page.name} {what}:\n{output}")
    results: list[dict[str, str | None]] = json.loads(out_path.read_text())
    return results


def output_matches(expected: str, actual: str) -> bool:
    """Exact match (trailing newlines aside), with ``...`` standing for any text."""
    want, got = expected.rstrip("\n") + "\n", actual.rstrip("\n") + "\n"
    if "..." not in want:
        return want == got
    return doctest.OutputChecker().check_output(want, got, doctest.ELLIPSIS)


PAGES_WITH_CODE = [p for p in PAGES if runnable(p)]


def test_parse_blocks_attaches_output_and_skip() -> None:
    page = "\n".join(
        [
            "Intro.",
            "```python",
            "print(1)",
            "```",
            "",
            "```text",
            "1",
            "```",
            "<!-- skip -->",
            "```python",
            "raise SystemExit",
            "```",
            "Some prose.",
            "```text",
            "not an output: prose stands between",
            "```",
            "",
            "    ```python",
            "    x = 2",
            "    ```",
        ]
    )
    blocks = parse_blocks(page)
    assert [b.lang for b in blocks] == ["python", "text", "python", "text", "python"]
    first, _, skipped, _, indented = blocks
    assert first.output == "1\n" and first.line == 3
    assert skipped.skip and skipped.output is None
    assert indented.code == "x = 2\n" and not indented.skip


def test_output_matching_is_exact_except_for_ellipsis() -> None:
    assert output_matches("a 0.25\n", "a 0.25")
    assert not output_matches("a 0.25", "a 0.26")
    assert not output_matches("a 0.25", "a 0.25 ")
    assert output_matches("cost 0.21...", "cost 0.2194")
    assert not output_matches("cost 0.21...", "cost 0.2294")


def test_each_page_runs_in_a_fresh_process_and_a_failing_one_is_reported(
    tmp_path: Path, zygote: Zygote
) -> None:
    page = DOCS / "index.md"

    def run(code: str, name: str, timeout: float = 600) -> list[dict[str, str | None]]:
        (tmp_path / name).mkdir()
        return run_page(page, [Block("python", code, 1)], tmp_path / name, zygote, timeout)

    first = run("import os, sys\nsys.modules['marker'] = 1\nprint(sorted(os.listdir('.')))", "a")
    assert first == [{"stdout": "[]\n", "error": None}]  # an empty working folder
    second = run("import sys\nprint('marker' in sys.modules)", "b")  # nothing left by the first
    assert second == [{"stdout": "False\n", "error": None}]
    raised = run("raise ValueError('planted')", "c")
    assert raised[0]["error"] is not None and "ValueError: planted" in raised[0]["error"]
    with pytest.raises(pytest.fail.Exception, match="crashed"):
        run("import os\nos._exit(3)", "d")
    with pytest.raises(pytest.fail.Exception, match="hung"):
        run("import time\ntime.sleep(60)", "e", timeout=1)
    assert run("print('next')", "f") == [{"stdout": "next\n", "error": None}]  # a new zygote


def test_docs_exist_and_have_code() -> None:
    names = {p.name for p in PAGES}
    for page in ["index.md", "tutorial.md", "math.md", "autograd.md", "testing.md"]:
        assert page in names, f"docs/{page} is missing"
    for page in ["tutorial.md", "autograd.md", "testing.md", "adding_an_op.md"]:
        assert runnable(DOCS / page), f"docs/{page} has no python block that runs"


@pytest.mark.slow  # a page's process can train a network for seconds: dealt out first
@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: p.name)
def test_page_code_runs_and_prints_what_it_shows(
    page: Path, tmp_path: Path, zygote: Zygote
) -> None:
    blocks = runnable(page)
    results = run_page(page, blocks, tmp_path, zygote)
    rel = page.relative_to(ROOT)
    for block, result in zip(blocks, results, strict=False):
        where = f"{rel}:{block.line}"
        if result["error"]:
            pytest.fail(f"the block at {where} raised:\n{result['error']}")
        stdout = result["stdout"] or ""
        if block.output is None:
            assert not stdout, (
                f"the block at {where} prints but the page shows no output; add a text block "
                f"after it with:\n{stdout}"
            )
        else:
            assert output_matches(block.output, stdout), (
                f"the block at {where} printed:\n{stdout}\nbut the page shows:\n{block.output}"
            )
    assert len(results) == len(blocks), f"{rel}: ran {len(results)} of {len(blocks)} blocks"


# ------------------------------------------------------------------------------ docstrings


def _package_modules() -> list[str]:
    names = [tinygrad_lite.__name__]
    for info in pkgutil.walk_packages(tinygrad_lite.__path__, tinygrad_lite.__name__ + "."):
        names.append(info.name)
    return sorted(names)


def _public_objects(module: object) -> list[tuple[str, object]]:
    """Classes and functions named in ``__all__`` (or, lacking it, defined in the module)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    objects = [(name, getattr(module, name)) for name in names]
    return [(n, o) for n, o in objects if inspect.isclass(o) or inspect.isfunction(o)]


def test_every_public_class_and_function_has_a_docstring() -> None:
    missing: list[str] = []
    checked = 0
    for mod_name in _package_modules():
        module = importlib.import_module(mod_name)
        if not (module.__doc__ or "").strip():
            missing.append(f"module {mod_name}")
        for name, obj in _public_objects(module):
            if obj.__module__ != mod_name:  # re-exported: checked where it is defined
                continue
            checked += 1
            if not (obj.__doc__ or "").strip():
                missing.append(f"{mod_name}.{name}")
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not callable(member):
                        continue
                    # An override documented by the method it overrides is documented.
                    if not (inspect.getdoc(getattr(obj, attr)) or "").strip():
                        missing.append(f"{mod_name}.{name}.{attr}")
    assert checked > 20
    assert not missing, "public API without a docstring:\n  " + "\n  ".join(missing)


# ------------------------------------------------------------------------------ the site


class _MathCollector(HTMLParser):
    """Collect the text of the elements that pymdownx.arithmatex marks as math."""

    def __init__(self) -> None:
        super().__init__()
        self.formulas: list[str] = []
        self._depth = 0
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            self._depth += 1
        elif "arithmatex" in classes:
            self._depth = 1
            self._buf = []

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
            if not self._depth:
                self.formulas.append("".join(self._buf))

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._buf.append(data)


def build_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built by ``mkdocs build --strict`` into a temporary folder.

    `.ci/run` builds the site strictly just before the tests and names its folder in
    TINYGRAD_LITE_BUILT_SITE: that build is checked instead of making a second one.
    """
    built = os.environ.get("TINYGRAD_LITE_BUILT_SITE")
    if built and (Path(built) / "index.html").is_file():
        return Path(built)
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    pytest.importorskip("mkdocs_jupyter")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        # the notebooks are rendered but not run here: tests/test_notebooks.py runs them
        env={**os.environ, "NOTEBOOKS_EXECUTE": "false"},
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.mark.slow
def test_the_site_builds_strictly_offline_with_every_formula_rendered(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    # One test, so that the site is built once in a parallel run (about 12 s).
    site = build_site(tmp_path_factory)
    every_page_is_built(site)
    the_site_needs_no_network(site)
    every_formula_renders_with_katex(site, tmp_path)  # skipped without Node.js: the last check


def every_page_is_built(site: Path) -> None:
    for page in PAGES:
        rel = page.relative_to(DOCS).with_suffix("")
        html = site / (rel.parent if rel.name == "index" else rel) / "index.html"
        assert html.exists(), f"{page.name} was not built to {html}"
    for notebook in (DOCS / "notebooks").glob("*.ipynb"):
        html = site / "notebooks" / notebook.stem / "index.html"
        assert html.exists(), f"{notebook.name} was not built to {html}"
    api = (site / "api" / "autograd" / "index.html").read_text()
    assert 'id="tinygrad_lite.autograd.unbroadcast"' in api
    assert "over the axes that broadcasting added or stretched" in api


def test_every_module_has_an_api_page() -> None:
    pages = "\n".join(p.read_text() for p in (DOCS / "api").glob("*.md"))
    missing = [m for m in _package_modules()[1:] if f"::: {m}\n" not in pages]
    assert not missing, f"modules without an API page in docs/api/: {missing}"


def the_site_needs_no_network(site: Path) -> None:
    remote = re.compile(r"""<(?:script|link)[^>]+(?:src|href)=["'](?:https?:)?//""")
    offenders = [
        str(p.relative_to(site)) for p in site.rglob("*.html") if remote.search(p.read_text())
    ]
    assert not offenders, f"pages that load scripts or styles from the network: {offenders}"
    assert (site / "javascripts" / "katex" / "katex.min.js").exists()


def every_formula_renders_with_katex(site: Path, tmp_path: Path) -> None:
    formulas: list[str] = []
    for page in site.rglob("index.html"):
        collector = _MathCollector()
        collector.feed(page.read_text())
        formulas += collector.formulas
    assert len(formulas) > 50, f"only {len(formulas)} formulas found in the site"
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: KaTeX cannot be run")
    script = tmp_path / "check.js"
    script.write_text(
        """
const katex = require(process.argv[2]);
const formulas = JSON.parse(require("fs").readFileSync(0, "utf8"));
const bad = [];
for (const f of formulas) {
  const t = f.trim();
  const display = t.startsWith("\\\\[");
  try { katex.renderToString(t.slice(2, -2), {displayMode: display, throwOnError: true}); }
  catch (e) { bad.push(t + "\\n    " + e.message); }
}
console.log(JSON.stringify(bad));
"""
    )
    proc = subprocess.run(
        [node, str(script), str(KATEX_JS)],
        input=json.dumps(formulas),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    bad = json.loads(proc.stdout)
    assert not bad, "formulas KaTeX cannot render:\n" + "\n".join(bad)


def test_home_page_commands_are_the_readmes() -> None:
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("no README.md yet")
    commands = [
        line.strip()
        for b in parse_blocks((DOCS / "index.md").read_text())
        if b.lang == "bash"
        for line in b.code.splitlines()
        if line.strip().startswith(("pip ", "python "))
    ]
    assert commands, "docs/index.md shows no set-up command"
    text = readme.read_text()
    missing = [c for c in commands if c not in text]
    assert not missing, f"commands on the home page that README.md does not give: {missing}"
