"""Packaging of the addon as ``odoo-addon-automation_flow``, installed as
``odoo/addons/automation_flow`` (the layout of OCA's wheels) whatever this
folder is called: ``pip install .``.

whool, OCA's build backend, names the package after the folder and packs every
file git tracks; this repository is the addon itself, cloned under any name, and
carries tooling that does not belong in the wheel. Hence setuptools with an
explicit package mapping; name, version, summary... come from the manifest.
"""

import ast
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ADDON = "automation_flow"
PACKAGE = f"odoo.addons.{ADDON}"
ROOT = Path(__file__).resolve().parent
# development tooling of the repository, not part of the addon
EXCLUDED = {
    "scripts",
    "bench",
    "build",
    "dist",
    "Makefile",
    "setup.py",
    "pyproject.toml",
    "test-requirements.txt",
}


def addon_entries():
    for path in sorted(ROOT.iterdir()):
        name = path.name
        if name.startswith(".") or name in EXCLUDED or name.endswith(".egg-info"):
            continue
        yield path


def packages():
    """The addon and its Python sub-packages (the folders with an __init__.py)."""
    found = [PACKAGE]
    for path in addon_entries():
        for init in sorted(path.glob("**/__init__.py")):
            relative = init.parent.relative_to(ROOT)
            found.append(".".join((PACKAGE, *relative.parts)))
    return found


def package_data():
    """Every other file of the addon: XML, CSV, PO, static assets, README."""
    files = []
    for path in addon_entries():
        candidates = [path] if path.is_file() else sorted(path.glob("**/*"))
        for file in candidates:
            if file.is_file() and file.suffix not in (".py", ".pyc"):
                files.append(str(file.relative_to(ROOT)))
    return files


class BuildPy(build_py):
    def find_package_modules(self, package, package_dir):
        # this script sits in the addon's folder but is not part of the addon
        modules = super().find_package_modules(package, package_dir)
        return [module for module in modules if module[0:2] != (PACKAGE, "setup")]


manifest = ast.literal_eval((ROOT / "__manifest__.py").read_text(encoding="utf-8"))
setup(
    name=f"odoo-addon-{ADDON}",
    version=manifest["version"],
    description=" ".join(manifest["summary"].split()),
    long_description=(ROOT / "README.rst").read_text(encoding="utf-8"),
    long_description_content_type="text/x-rst",
    author=manifest["author"],
    url=manifest["website"],
    license=manifest["license"],
    python_requires=">=3.10",
    # mail, link_tracker and base_automation are part of Odoo itself
    install_requires=["odoo>=18.0a,<18.1dev"],
    package_dir={PACKAGE: "."},
    packages=packages(),
    package_data={PACKAGE: package_data()},
    include_package_data=False,
    zip_safe=False,
    cmdclass={"build_py": BuildPy},
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Odoo",
        "Framework :: Odoo :: 18.0",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
    ],
)
