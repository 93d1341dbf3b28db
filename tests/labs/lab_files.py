"""Lab files for the labs tests: a copy of a shipped lab with one part changed."""

from pathlib import Path

import yaml

LABS = Path(__file__).resolve().parents[2] / "labs"
SHARE_KEY = LABS / "01-share-key.yaml"


def changed_lab(tmp_path: Path, change=None, name: str = "lab.yaml", source: Path = SHARE_KEY) -> Path:
    """The path of a copy of `source` after change(document)."""
    document = yaml.safe_load(source.read_text())
    if change is not None:
        change(document)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def readme_example(tmp_path: Path) -> Path:
    """The complete example lab of the README's "Write a lab", as a file."""
    readme = (LABS.parent / "README.md").read_text()
    section = readme.split("## Teaching with KMS Console", 1)[1]
    example = section.split("A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "readme-example.yaml"
    path.write_text(example)
    return path
