"""MkDocs hooks of the documentation site (registered in mkdocs.yml; nothing here needs the network).

At build time they

- generate ``cli.md`` from the argparse parser of ``rmt-dsm``: the ``--help`` text of every
  sub-command registered in `rmt_dsm.cli.SUBCOMMANDS`, so the reference cannot drift
  from the code;
- replace ``<!-- rmt-dsm:readme-commands -->`` by the first ``bash`` block of README.md (the
  two commands that install, draw a learning curve and run the tests);
- replace ``<!-- rmt-dsm:latex m=M -->`` by the LaTeX of `rmt_dsm.dsm.latex.dsm_latex`
  (the function behind ``rmt-dsm latex``), converted for MathJax;
- add a short placeholder for a page of the navigation whose file does not exist (yet), so
  that ``mkdocs build --strict`` passes while other pages are being written.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]

#: pages of the navigation that may be written later: title, what will be there
OPTIONAL_PAGES = {
    "validation.md": ("Validation", "the validation report: every limit of the theory against finite-d "
                      "simulations of the true nonlinear model (docs/validation.md, written by "
                      "scripts/make_validation_report.py)"),
    "role_of_m.md": ("Role of m", "how the number m of noise draws per data point changes the learning "
                     "curves (docs/role_of_m.md)"),
    "performance.md": ("Performance", "timings of the solver, the theory and the simulator "
                       "(docs/performance.md, written by scripts/gen_performance_page.py)"),
}


def cli_markdown() -> str:
    """The command-line reference: ``rmt-dsm --help`` and ``rmt-dsm <cmd> --help`` for each sub-command."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps at the terminal width: fix it
    try:
        from rmt_dsm.cli import SUBCOMMANDS, build_parser

        parser = build_parser()
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        out = ["# Command line (`rmt-dsm`)", "",
               "Generated at build time from the argparse parser (`rmt_dsm.cli.build_parser`): the "
               "text below is exactly what `rmt-dsm <command> --help` prints. Every sub-command exits "
               "with status 2 and a one-line message naming the argument on bad input (nothing on "
               "stdout), and with status 0 only when every printed number is a converged solution.", "",
               "```text", parser.format_help().rstrip(), "```", ""]
        for name in SUBCOMMANDS:
            p = sub.choices[name]
            out += [f"## `rmt-dsm {name}`", ""]
            doc = _module_doc(SUBCOMMANDS[name])
            if doc:
                out += [doc, ""]
            out += ["```text", p.format_help().rstrip(), "```", ""]
        return "\n".join(out)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def _module_doc(module: str) -> str:
    """The first paragraph of a sub-command module's docstring, as plain text."""
    import importlib

    doc = importlib.import_module(f"rmt_dsm.cli.{module}").__doc__ or ""
    first = doc.strip().split("\n\n")[0]
    return " ".join(first.split())


def readme_commands() -> str:
    """The first ```bash block of README.md."""
    text = (ROOT / "README.md").read_text()
    match = re.search(r"```bash\n.*?```", text, flags=re.S)
    if not match:
        raise RuntimeError("README.md has no ```bash block to show on the getting-started page")
    return match.group(0)


def latex_markdown(m) -> str:
    """The output of ``rmt-dsm latex --m M`` turned into Markdown + MathJax.

    Each amsmath ``align`` block becomes display math ``$$\\begin{aligned} ... \\end{aligned}$$``.
    """
    from rmt_dsm.dsm.latex import dsm_latex

    out = []
    for line in dsm_latex(m).splitlines():
        if line.startswith("%"):
            continue
        line = re.sub(r"\\paragraph\{([^}]*)\}", r"**\1**", line)
        line = line.replace(r"i.e.\ ", "i.e. ")
        if line.startswith(r"\begin{align}"):  # display math with an aligned block (valid MathJax)
            out += ["", "$$", r"\begin{aligned}"]
        elif line.startswith(r"\end{align}"):
            out += [r"\end{aligned}", "$$", ""]
        else:
            out.append(line)
    return "\n".join(out)


def on_files(files, config):
    """Add the generated CLI page and placeholders of missing optional pages."""
    files.append(File.generated(config, "cli.md", content=cli_markdown()))
    for name, (title, what) in OPTIONAL_PAGES.items():
        if files.get_file_from_path(name) is None:
            body = f"# {title}\n\n!!! note \"Not written yet\"\n    This page will hold {what}.\n"
            files.append(File.generated(config, name, content=body))
    return files


def on_page_markdown(markdown, page, config, files):
    """Expand the build-time markers."""
    if "<!-- rmt-dsm:readme-commands -->" in markdown:
        markdown = markdown.replace("<!-- rmt-dsm:readme-commands -->", readme_commands())

    from rmt_dsm.cli.latex import _m_or_symbolic  # the parsing of `rmt-dsm latex --m`

    def latex(match):
        return latex_markdown(_m_or_symbolic(match.group(1)))

    return re.sub(r"<!-- rmt-dsm:latex m=(\S+) -->", latex, markdown)
