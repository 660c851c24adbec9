"""Check an sdist: it holds every file a source build needs (all tracked files of the build
inputs) and nothing else. Usage: python .ci/check_sdist.py dist/nncore-X.tar.gz"""

import subprocess
import sys
import tarfile

BUILD_INPUTS = [
    "CMakeLists.txt",
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "cmake",
    "cpp",
    "python/nncore",
]


def main(path: str) -> int:
    with tarfile.open(path) as tar:
        names = [m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()]
    shipped = set(names) - {"PKG-INFO"}
    tracked = set(
        subprocess.run(
            ["git", "ls-files", "--", *BUILD_INPUTS], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    missing = sorted(tracked - shipped)
    extra = sorted(f for f in shipped - tracked if not f.startswith("python/nncore/"))
    extra += sorted(f for f in shipped if f.endswith((".so", ".o", ".pyc", ".pyd")))
    for f in missing:
        print(f"sdist is missing {f}")
    for f in extra:
        print(f"sdist should not contain {f}")
    print(f"{path}: {len(shipped)} files, {len(missing)} missing, {len(extra)} extra")
    return 1 if missing or extra else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
