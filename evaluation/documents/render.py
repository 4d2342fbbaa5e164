"""HTML through Jinja2 and tagged PDF through WeasyPrint, safely.

Jinja2 runs with autoescape and strict undefined (a missing value fails the build naming the
template, line and name); text from parameters and data is only ever a value, never template
source. WeasyPrint's fetcher may read only the project's templates folder and the pack being
built: never the network, never other files. PDFs are PDF/UA-1 tagged, in en-GB, with title and
author, and carry no creation time beyond ``SOURCE_DATE_EPOCH`` so the bytes are reproducible.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jinja2
from markupsafe import Markup

from evaluation.documents import formatting
from evaluation.errors import EvaluationError, PipelineError, TemplateError

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def css_string(text: str) -> Markup:
    """Text as a quoted CSS string: every character outside letters, digits and spaces escaped."""
    body = "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in str(text))
    return Markup(f'"{body}"')


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        css_string=css_string,
        uk_date=formatting.uk_date,
        month_year=formatting.month_year,
        count=formatting.count,
        money=formatting.money,
        percent=formatting.percent,
    )
    return env


def render_html(template: str, context: dict) -> str:
    """Render one document template; an undefined name stops the build with its place."""
    env = environment()
    try:
        return env.get_template(template).render(**context)
    except jinja2.UndefinedError as err:
        import traceback

        line = None
        for frame in traceback.extract_tb(err.__traceback__):
            if frame.filename.endswith(".j2"):
                line = frame.lineno
        raise TemplateError(
            f"the template uses a value that is not defined: {err.message}",
            file=str(TEMPLATES / template),
            line=line,
        ) from None
    except jinja2.TemplateSyntaxError as err:
        raise TemplateError(
            f"template syntax error: {err.message}", file=err.filename or template, line=err.lineno
        ) from None


def _fetcher(allowed: tuple[Path, ...]):
    """A URL fetcher that reads data: URLs and files under ``allowed`` only, and stops otherwise."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    roots = tuple(p.resolve() for p in allowed)

    class PackOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if not any(path == r or r in path.parents for r in roots):
                    raise FatalURLFetchingError(
                        f"a document tried to read {path}, outside the templates and the pack"
                    )
            elif parsed.scheme != "data":
                raise FatalURLFetchingError(
                    f"a document tried to fetch {url!r}; documents may not reach the network"
                )
            return super().fetch(url, headers)

    return PackOnlyFetcher(allowed_protocols=("file", "data"), allow_redirects=False, fail_on_errors=True)


def source_date() -> dt.datetime:
    """The build time recorded in documents: ``SOURCE_DATE_EPOCH``, else the Unix epoch (never now)."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def render_pdf(html: str, *, base: Path) -> bytes:
    """A PDF/UA-1 tagged PDF of ``html``; relative links resolve inside ``base`` only.

    Title, author, language and dates come from the HTML head (``<title>``, ``<meta name=author>``,
    ``<html lang>``, ``dcterms.created``), which the templates fill from the run, not the clock.
    """
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    try:
        document = weasyprint.HTML(
            string=html, base_url=base.resolve().as_uri() + "/", url_fetcher=_fetcher((TEMPLATES, base))
        ).render(pdf_variant="pdf/ua-1")
        pdf = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=b"trailblazer-evaluation")
    except FatalURLFetchingError as err:
        raise TemplateError(str(err)) from None
    return finish_pdf(pdf, base_uri=base.resolve().as_uri() + "/")


# What a PDF is made from besides its HTML: the libraries that lay it out and write it.
PDF_LIBRARIES = (
    "weasyprint",
    "pydyf",
    "fonttools",
    "pikepdf",
    "tinycss2",
    "cssselect2",
    "tinyhtml5",
    "pyphen",
)
_LOADED = re.compile(r'<link\b[^>]*\bhref="([^"]+)"|\bsrc="([^"]+)"')


def pdf_key(html: str, *, base: Path) -> str:
    """A hash of everything a PDF of ``html`` is made from: the HTML, the pack files it loads
    (style sheet, charts), this module, the libraries' versions and ``SOURCE_DATE_EPOCH``. Equal
    keys give equal bytes, so a document whose key is unchanged need not be laid out again."""
    h = hashlib.sha256(html.encode())
    root = base.resolve()
    for link, src in sorted(set(_LOADED.findall(html))):
        ref = unquote(link or src)
        path = (root / ref).resolve()
        h.update(ref.encode())
        if ":" not in ref and path.is_file() and root in path.parents:
            h.update(hashlib.sha256(path.read_bytes()).digest())
    h.update(Path(__file__).read_bytes())
    for lib in PDF_LIBRARIES:
        h.update(f"{lib}={metadata.version(lib)};".encode())
    h.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    return h.hexdigest()


def write_pdf(html: str, path: Path, *, cache: Path | None = None) -> Path:
    """The PDF of ``html`` written to ``path`` (links resolved in its folder), taken from
    ``cache`` when a PDF of the same key (``pdf_key``) was made before: after an edit to one
    paper's wording, the pack's other papers are not laid out again. The cache keeps the last PDF
    of each document name. Inside ``pdfs_alongside`` the layout runs in its second process and
    the file is there when the block ends."""
    key = None
    if cache is not None:
        key = pdf_key(html, base=path.parent)
        kept, kept_key = cache / path.name, cache / f"{path.name}.key"
        if kept_key.is_file() and kept_key.read_text(encoding="utf-8") == key and kept.is_file():
            path.write_bytes(kept.read_bytes())
            return path
    if _alongside:
        pool, pending = _alongside[-1]
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        pending.append((path.name, pool.submit(_lay_out, html, path, cache, key, epoch)))
    else:
        _lay_out(html, path, cache, key)
    return path


def _lay_out(html: str, path: Path, cache: Path | None, key: str | None, epoch: str | None = None) -> None:
    """Lay out and write one PDF, and keep it in ``cache`` under ``key``; ``epoch`` is the
    ``SOURCE_DATE_EPOCH`` of the run that asked, for a process that may not have it."""
    from evaluation.pipeline.atomic import write_bytes_atomic

    if epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = epoch
    pdf = render_pdf(html, base=path.parent)
    path.write_bytes(pdf)
    if cache is None or key is None:
        return
    kept, kept_key = cache / path.name, cache / f"{path.name}.key"
    kept_key.unlink(missing_ok=True)  # no key beside a PDF it does not describe, even if stopped here
    write_bytes_atomic(kept, pdf)
    kept_key.write_text(key, encoding="utf-8")


def _warm() -> None:
    import weasyprint  # noqa: F401  (loaded while the first document's contents are prepared)


_alongside: list[tuple[Any, list[Any]]] = []


@contextlib.contextmanager
def pdfs_alongside(waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Within the block, ``write_pdf`` lays PDFs out one after another in a second process while
    this one goes on with the pack's other documents, so that a run with a core to spare (one
    pack; after a narrative edit) waits for its longest layout rather than for everything in
    turn. Every PDF is written, or the first failure raised, before the block ends. ``waiting`` is
    told the name of each PDF as the block's end waits for it (the run's step, for an interrupt).

    The process is forked on entry: enter before this process starts any thread (Arrow's pool,
    a kernel's client), so that the copy holds no lock mid-use. Not spawned: a fresh interpreter
    would import the caller's main module again, and WeasyPrint's half a second of imports.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from evaluation.pipeline.workers import ignore_interrupt

    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=ignore_interrupt
    )
    pending: list[tuple[str, Any]] = [("", pool.submit(_warm))]
    _alongside.append((pool, pending))
    try:
        yield
        for name, job in pending:
            if name and waiting is not None:
                waiting(name)
            try:
                job.result()
            except BrokenProcessPool:
                raise PipelineError(
                    f"the process laying out the PDFs stopped before {name or 'starting'} was written "
                    "(out of memory, or killed); run again"
                ) from None
            except EvaluationError as err:
                err.message = f"{name}: {err.message}"
                err.args = (err.message,)
                raise
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()  # a layout under way is not waited for: this pack has failed
        raise
    finally:
        _alongside.pop()
        pool.shutdown(wait=True, cancel_futures=True)


def finish_pdf(pdf: bytes, *, base_uri: str = "") -> bytes:
    """Header scopes for accessibility, links into the pack made relative, a content-derived /ID.

    WeasyPrint tags <th> as /TH but does not carry the HTML scope attribute into the PDF, so a
    screen reader cannot tie data cells to their headers; PDF/UA (7.5) asks for it: every header
    cell gets its /Scope (Column in a THead, Row elsewhere). WeasyPrint also writes a link to a
    file of the pack (``notebooks/x.ipynb``) as an absolute file URI of the folder it was built in,
    which would put this machine's path in the file and make two builds in two folders differ.
    Written by hand because no maintained library does either; pikepdf only edits the objects.
    """
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if base_uri:
            for page in doc.pages:
                for annot in page.get("/Annots", []):
                    action = annot.get("/A")
                    uri = str(action.get("/URI", "")) if action is not None else ""
                    if uri.startswith(base_uri):
                        action.URI = pikepdf.String(uri[len(base_uri) :])
                        annot.Contents = pikepdf.String(uri[len(base_uri) :])  # its text for readers
        root = doc.Root.get("/StructTreeRoot")
        stack = [(root, False)] if root is not None else []
        while stack:
            node, in_head = stack.pop()
            kids = node.get("/K")
            if kids is None:
                continue
            kids = kids if isinstance(kids, pikepdf.Array) else [kids]
            for kid in kids:
                if (
                    not isinstance(kid, pikepdf.Dictionary)
                    or kid.get("/Type") not in (None, pikepdf.Name.StructElem)
                    or "/S" not in kid
                ):
                    continue
                role = str(kid.S)
                if role == "/TH":
                    kid.A = pikepdf.Dictionary(
                        O=pikepdf.Name.Table, Scope=pikepdf.Name.Column if in_head else pikepdf.Name.Row
                    )
                stack.append((kid, in_head or role == "/THead"))
        # WeasyPrint's second /ID element is random; the file's identity should be its content.
        if "/ID" in doc.trailer:
            del doc.trailer["/ID"]
        out = io.BytesIO()
        doc.save(
            out,
            deterministic_id=True,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
        )
        return out.getvalue()
