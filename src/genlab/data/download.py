"""Opt-in download of MNIST and Fashion-MNIST, each file checked against a sha256 in this module.

Never called implicitly. A file is accepted when the sha256 of its gzip bytes equals the published
value, or the sha256 of its decompressed IDX bytes equals the known content hash (re-compressed copies
of the same data, e.g. with a different gzip header, are then still accepted).

Provenance of the constants:
- MNIST content (decompressed) sha256: computed here from the standard files (60000/10000 images with
  the published class counts) kept in the project's shared data folder, whose gzip copies were
  re-compressed and so do not match the published .gz sums.
- MNIST .gz sha256: the published sums, identical across many public loaders.
- Fashion-MNIST .gz sha256: as listed by two independent public loaders that agree; the official
  README gives md5 sums (FASHION_MNIST_MD5, kept for reference; not checked).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import urllib.request
import zlib
from pathlib import Path

from genlab.errors import DataError

URLS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}

# file -> (sha256 of the .gz file, sha256 of the decompressed IDX bytes or None)
CHECKSUMS: dict[str, dict[str, tuple[str, str | None]]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc", None),
        "train-labels-idx1-ubyte.gz": (
            "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc", None),
        "t10k-images-idx3-ubyte.gz": (
            "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229", None),
        "t10k-labels-idx1-ubyte.gz": (
            "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf", None),
    },
}

# md5 from the official fashion-mnist README, for reference (sha256 above is what is checked)
FASHION_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}


def _sha256_file(path: Path, decompress: bool = False) -> str:
    h = hashlib.sha256()
    opener = gzip.open if decompress else open
    with opener(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(path: Path, gz_sha256: str, raw_sha256: str | None) -> bool:
    """True if the .gz file's sha256, or that of its decompressed bytes, is the expected one."""
    if _sha256_file(path) == gz_sha256:
        return True
    if raw_sha256 is None:
        return False
    try:
        return _sha256_file(path, decompress=True) == raw_sha256
    except (OSError, EOFError, zlib.error):
        return False


def fetch(url: str, path: Path) -> None:
    """Copy url (http(s) or file://) to path."""
    with urllib.request.urlopen(url, timeout=60) as r, open(path, "wb") as f:
        shutil.copyfileobj(r, f)


def download(name: str, dest: str | os.PathLike, base_url: str | None = None) -> Path:
    """Fetch the four IDX .gz files of `name` into dest/<name>, verifying each sha256; returns that folder.

    Files already present and verified are kept. A mismatch deletes the download and raises DataError.
    """
    if name not in CHECKSUMS:
        raise DataError(f"no download for '{name}'; choices: {', '.join(CHECKSUMS)}")
    out = Path(dest) / name
    out.mkdir(parents=True, exist_ok=True)
    base = base_url or URLS[name]
    for fname, (gz_sha, raw_sha) in CHECKSUMS[name].items():
        final = out / fname
        if final.is_file() and verify(final, gz_sha, raw_sha):
            continue
        tmp = out / f".{fname}.part"
        url = base.rstrip("/") + "/" + fname
        try:
            fetch(url, tmp)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise DataError(f"{url}: download failed ({e})") from e
        if not verify(tmp, gz_sha, raw_sha):
            got = _sha256_file(tmp)
            tmp.unlink()
            raise DataError(f"{url}: sha256 mismatch (got {got}, expected {gz_sha}); file deleted, try again "
                            f"or fetch it by hand")
        os.replace(tmp, final)
    return out
