"""The documentation site: built offline, math rendered by a local MathJax, API docstrings rendered.

The site is built once (``mkdocs build --strict`` into a temporary directory; skipped, with the reason,
when mkdocs or mkdocstrings is not installed: ``pip install -e '.[docs]'``, unless RMT_DSM_REQUIRE_DOCS
is set, as in .ci/run). The checks read the built HTML:

* no page loads a script or stylesheet from the network, and no page, stylesheet or script of
  ours names a CDN; the MathJax the pages load is the vendored file, byte-identical to the one
  recorded in docs/javascripts/vendor/mathjax/SOURCE.txt, and its configuration comes first;
* the API reference renders its numpy-style docstrings: section tables (Parameters, Returns, ...),
  doctest lines as highlighted code, and no raw Sphinx role (``:class:`` etc.), raw numpy section
  underline or doctest-turned-blockquote is left;
* no page cites the project specification (it lives outside the repository: docs/model.md holds
  the conventions).

When Chromium is installed (it is not by default: ``apt-get install chromium``), one page is also
rendered headless with every network request sent to a dead proxy, and every formula must come out
typeset by MathJax.
"""
from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
MATHJAX = "javascripts/vendor/mathjax/tex-svg-full.js"
MATHJAX_CONFIG = "javascripts/mathjax.js"
#: hosts of content-delivery networks and web-font services
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis.com",
             "fonts.gstatic.com", "polyfill.io", "code.jquery.com", "stackpath.bootstrapcdn.com",
             "mathjax.org", "katex.org")
#: Sphinx/reST roles that mkdocstrings does not render
ROLES = re.compile(r":(?:class|func|mod|attr|data|meth|exc|obj|ref|math|py:\w+):(?:`|<code>)")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    for module in ("mkdocs", "mkdocstrings", "material"):
        try:
            __import__(module)
        except ImportError:
            reason = f"{module} is not installed (pip install -e '.[docs]'): the site cannot be built"
            if os.environ.get("RMT_DSM_REQUIRE_DOCS"):  # set by .ci/run: there, a skip would hide a failure
                pytest.fail(reason)
            pytest.skip(reason)
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                           "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def _pages(site: Path) -> list[Path]:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 10, pages
    return pages


def _visible_text(page_html: str) -> str:
    """The text a reader sees outside code: tags, scripts, code blocks and inline code removed."""
    text = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", page_html, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def _resources(page_html: str) -> list[tuple[str, str]]:
    """(tag, URL) of every script and stylesheet/preload a page loads."""
    found = [("script", src) for src in re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", page_html)]
    for tag in re.findall(r"<link\b[^>]*>", page_html):
        rel = re.search(r"\brel=\"([^\"]+)\"", tag)
        href = re.search(r"\bhref=\"([^\"]+)\"", tag)
        if rel and href and any(r in rel.group(1) for r in ("stylesheet", "preload", "modulepreload")):
            found.append(("link", href.group(1)))
    return found


def _local(site: Path, page: Path, url: str) -> Path:
    """The file of the site a relative (or site-absolute, as in 404.html) URL points to."""
    path = urlsplit(url).path
    return (site / path.lstrip("/") if path.startswith("/") else page.parent / path).resolve()


def _is_remote(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme in ("http", "https") or parts.netloc or url.startswith("//"))


def test_pages_load_no_script_or_stylesheet_from_the_network(site):
    for page in _pages(site):
        text = page.read_text()
        for tag, url in _resources(text):
            assert not _is_remote(url), f"{page.relative_to(site)} loads <{tag}> {url} from the network"
            assert _local(site, page, url).is_file(), f"{page.relative_to(site)}: <{tag}> {url} is not in the site"
        assert "@import url(http" not in text and "url(//" not in text


def test_no_cdn_named_by_our_pages_stylesheets_and_scripts(site):
    # third-party bundles keep dead fallbacks for legacy browsers (Material's ResizeObserver
    # polyfill, MathJax's speech maps for Internet Explorer); the headless test below shows that a
    # modern browser renders the site with no network at all. Everything else is checked here.
    vendored = {site / MATHJAX} | set((site / "assets").rglob("*"))
    files = [f for f in site.rglob("*") if f.suffix in (".html", ".css", ".js") and f not in vendored]
    assert any(f.suffix == ".css" for f in files) or any(f.suffix == ".js" for f in files)
    for f in files:
        text = f.read_text(errors="replace")
        for host in CDN_HOSTS:
            assert host not in text, f"{f.relative_to(site)} names the CDN {host}"
    for css in (site / "assets").rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", css.read_text()), css


def test_math_pages_load_the_vendored_mathjax_after_its_configuration(site):
    expected = re.search(r"sha256 of tex-svg-full.js:\s*([0-9a-f]{64})",
                         (ROOT / "docs/javascripts/vendor/mathjax/SOURCE.txt").read_text()).group(1)
    vendored = site / MATHJAX
    assert vendored.is_file(), "the vendored MathJax is not copied into the site"
    assert hashlib.sha256(vendored.read_bytes()).hexdigest() == expected, "vendored MathJax was modified"
    assert (site / "javascripts/vendor/mathjax/LICENSE").is_file()
    math_pages = 0
    for page in _pages(site):
        text = page.read_text()
        if 'class="arithmatex"' not in text:
            continue
        math_pages += 1
        scripts = [src for tag, src in _resources(text) if tag == "script"]
        paths = [_local(site, page, s) for s in scripts]
        assert vendored.resolve() in paths, f"{page.relative_to(site)} has math but no local MathJax"
        assert (site / MATHJAX_CONFIG).resolve() in paths
        assert paths.index((site / MATHJAX_CONFIG).resolve()) < paths.index(vendored.resolve())
    assert math_pages >= 4  # model, theory, phase, index at least


def test_api_reference_renders_the_docstrings(site):
    page = (site / "api/index.html").read_text()
    body = page[page.index('<div class="doc doc-object'):]  # the generated part
    text = _visible_text(body)
    left = sorted({_where(body, m.start()) for m in ROLES.finditer(body)})
    assert not left, f"raw Sphinx roles in the API reference, in the docstrings of {left}"
    quotes = sorted({_where(body, m.start()) for m in re.finditer("<blockquote>", body)})
    assert not quotes, f"doctest lines outside an Examples section render as quotes, in {quotes}"
    assert not re.search(r"^\s*-{4,}\s*$", text, flags=re.M), "a numpy section underline shows raw"
    prompts = body.count("&gt;&gt;&gt;")
    highlighted = body.count('<span class="gp">&gt;&gt;&gt; </span>')
    assert prompts >= 10 and prompts == highlighted, (prompts, highlighted)
    titles = re.findall(r'<span class="doc-section-title">([^<]+)</span>', body)
    for section in ("Parameters:", "Returns:", "Raises:", "Examples:"):
        assert section in titles, f"no rendered {section} section in the API reference"
    # a numpy Parameters section becomes a table with one row per parameter
    simulate = body[body.index('id="rmt_dsm.simulate.simulate"'):]
    simulate = simulate[:simulate.index('<div class="doc doc-object', 1)]
    rows = re.findall(r"<tr class=\"doc-section-item\">\s*<td>\s*<code>(\w+)</code>", simulate)
    assert {"d", "psi_n", "psi_p", "m", "lam", "seeds"} <= set(rows), rows


def test_no_page_cites_the_project_specification(site):
    for page in _pages(site):
        text = page.read_text()
        where = sorted({_where(text, m.start()) for m in re.finditer(r"\bSPEC\b", text)
                        if re.search(r"\bSPEC\b", _visible_text(text[m.start() - 1:m.end() + 1]))})
        assert not where, f"{page.relative_to(site)} cites the SPEC (near {where})"


def _where(page_html: str, offset: int) -> str:
    """The anchor (docstring object or heading) that precedes ``offset`` on a page."""
    ids = re.findall(r'<h\d id="([^"]+)"', page_html[:offset])
    return ids[-1] if ids else "the top of the page"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("name, at_least", [("theory", 20), ("model", 20), ("api", 1)])
def test_headless_browser_typesets_every_formula_offline(site, tmp_path, name, at_least):
    page = site / name / "index.html"
    built = page.read_text()
    n_math = built.count('class="arithmatex"')
    assert n_math >= at_least
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}",
         "--proxy-server=http://127.0.0.1:9",  # a dead port: any network request fails
         "--virtual-time-budget=30000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180)
    dom = proc.stdout
    assert "</html>" in dom, proc.stderr[-2000:]
    assert dom.count("<mjx-container") >= n_math, "some formulas were not typeset"
    assert "<svg" in dom
    left = _visible_text(dom)
    assert "\\(" not in left and "\\[" not in left, "raw LaTeX left on the rendered page"
