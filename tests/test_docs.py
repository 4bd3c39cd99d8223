"""The documentation site holds together, without MkDocs installed.

`mkdocs build --strict` (in CI, after the tests) is the full check; this one
runs in the default test run and checks what a reader would trip over first:

- every page of the `nav` of `mkdocs.yml` exists, and every page is in it;
- every relative link of `README.md` and of the pages points at a file that
  exists (a page's links stay inside `docs/`, as MkDocs needs), and at a
  heading or `:::` block of it when the link names an anchor;
- every public name of `keras_gen` and every model has its `:::` block in
  `docs/api/`, and every `:::` block names something the sources define;
- the README's model rows are the rows of the home page and of the page of
  each model's family.
"""

import ast
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

import keras_gen

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
BLOCK = re.compile(r"^:::[ \t]+([\w.]+)", re.M)
FAMILIES = {
    "autoencoders.md": ["Autoencoder", "DenoisingAutoencoder", "VariationalAutoencoder",
                        "ConditionalVariationalAutoencoder"],
    "gans.md": ["GAN", "DCGAN", "LSGAN", "BGAN", "WGAN", "WGANGP", "CGAN", "ACGAN", "InfoGAN", "SGAN", "BiGAN", "CoGAN",
                "EBGAN"],
    "adversarial_autoencoders.md": [
        "AdversarialAutoencoder", "SupervisedAdversarialAutoencoder",
        "SemiSupervisedAdversarialAutoencoder",
    ],
}


def config():
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def nav_pages(entries):
    for entry in entries:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            if isinstance(value, list):
                yield from nav_pages(value)
            else:
                yield value


def pages():
    return sorted(DOCS.rglob("*.md"))


def prose(text):
    """The text without code blocks and code spans, where links are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading):
    # Python-Markdown's toc slugify, on the heading's text as rendered.
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page):
    text = FENCE.sub("", page.read_text())
    found = {slug(h) for h in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", text, re.M)}
    return found | set(BLOCK.findall(text))


def links(path):
    for target in LINK.findall(prose(path.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # https:, mailto:, or an anchor on the same page
        yield target


def test_every_nav_page_exists_and_every_page_is_in_the_nav():
    cfg = config()
    assert cfg["docs_dir"] == "docs" and cfg["site_dir"] == "site"
    nav = list(nav_pages(cfg["nav"]))
    assert len(nav) == len(set(nav)), "a page is twice in the nav"
    for page in nav:
        assert (DOCS / page).is_file(), f"mkdocs.yml's nav lists {page}, which is not in docs/"
    listed = {DOCS / page for page in nav}
    assert [p.relative_to(DOCS) for p in pages() if p not in listed] == []


def test_the_design_notes_keep_their_names_and_headings():
    nav = set(nav_pages(config()["nav"]))
    assert {"adversarial.md", "semi_supervised.md", "index.md"} <= nav
    # tests/test_structure.py runs the block of this section.
    assert "\n## Adding a model\n" in (DOCS / "adversarial.md").read_text()


@pytest.mark.parametrize("path", [ROOT / "README.md", *pages()],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file_that_exists(path):
    for target in links(path):
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve()
        assert resolved.exists(), f"{path.name}: {target} does not exist"
        if path.is_relative_to(DOCS):
            assert resolved.is_relative_to(DOCS), (
                f"{path.name}: {target} is outside docs/, not a page: write it as a code span")
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{path.name}: {target}: no such anchor"


def api_blocks():
    return {name: page.name for page in sorted((DOCS / "api").glob("*.md"))
            for name in BLOCK.findall(page.read_text())}


def model_names():
    tree = ast.parse((ROOT / "keras_gen" / "models" / "__init__.py").read_text())
    return sorted(alias.asname or alias.name for node in tree.body
                  if isinstance(node, ast.ImportFrom) for alias in node.names)


def test_every_public_name_has_its_api_block():
    documented = {part for block in api_blocks() for part in block.split(".")[1:]}
    public = {*keras_gen.__all__, *model_names()}
    assert len(model_names()) >= 14
    assert sorted(public - documented) == []


def defined_names(module):
    names = set()
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.If):  # keras_gen.backend's imports per backend
            names.update(defined_names_in(node))
    return names


def defined_names_in(node):
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in child.names)
    return names


def test_every_api_block_names_something_the_sources_define():
    for block, page in api_blocks().items():
        parts = block.split(".")
        # The longest prefix that is a module or a package.
        for split in range(len(parts), 0, -1):
            base = ROOT.joinpath(*parts[:split])
            module = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
            if module.is_file():
                break
        else:
            pytest.fail(f"docs/api/{page}: ::: {block}: no such module")
        rest = parts[split:]
        assert len(rest) <= 1, f"docs/api/{page}: ::: {block}: name the object, not its member"
        if rest:
            assert rest[0] in defined_names(module), f"docs/api/{page}: ::: {block}: not defined"


def model_rows(text):
    return {match.group(1): line for line in text.splitlines()
            if (match := re.match(r"\| `(\w+)` \| ", line))}


def normalized(row):
    # The pages link Results from their own folder.
    return re.sub(r"\]\((?:\.\./|docs/)*([\w/]+\.md)\)", r"](\1)", row)


def test_the_model_rows_are_the_same_everywhere():
    readme = model_rows((ROOT / "README.md").read_text())
    assert sorted(readme) == sorted(n for n in model_names() if n != "GenerativeModel")
    home = model_rows((DOCS / "index.md").read_text())
    for name, row in readme.items():
        assert normalized(home[name]) == normalized(row), name
    families = [name for names in FAMILIES.values() for name in names]
    assert sorted(families) == sorted(readme)
    for page, names in FAMILIES.items():
        rows = model_rows((DOCS / "models" / page).read_text())
        assert list(rows) == names, page
        for name in names:
            assert normalized(rows[name]) == normalized(readme[name]), (page, name)
