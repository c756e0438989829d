"""Name tables the linter's rules and rea's mypy plugin both judge by.

Plain data with no imports: the mypy plugin reads them without importing the linter's model
and rules, about 24 ms of every cold mypy run. Each rule module imports its own tables from here.
"""

from __future__ import annotations

SERVICE_FACTORIES = frozenset({"Service", "VirtualObject", "Workflow"})
"""The restate-sdk classes a service is made from (`restate.Service("greeter")`): a handler is
a function decorated by a module-level object made by one of them."""

RUN_HELPERS: dict[str, tuple[int, str | None, bool]] = {
    # qualified name -> (position of the action, its keyword, whether extra arguments are
    # handed to it as run_typed's are); the context is always the first argument
    "rea_runtime.run": (2, None, False),
    "rea_runtime.run.run": (2, None, False),
    "rea_runtime.run_typed": (2, None, True),
    "rea_runtime.run.run_typed": (2, None, True),
    "rea_runtime.workflow.request_approval": (1, "notify", False),
}
"""rea_runtime's functions that run a callable as a durable run: that callable is a run action."""
SAGA_RUN_METHODS: dict[str, tuple[tuple[int | None, str], ...]] = {
    # method -> the (position, keyword) of each argument that becomes a run; `step(call=...)`
    # is not one: that factory is called in handler code and returns a durable call
    "step": ((1, "action"), (None, "compensate")),
    "register": ((1, "compensate"),),
    "run": ((1, "action"),),
}
"""A `Saga`'s methods: actions run as runs, compensations as runs too when the saga unwinds."""

# REA108
_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# Calls that create an object whose methods do I/O (the call itself is I/O too).
IO_FACTORIES = frozenset(
    {
        "builtins.open",
        "io.open",
        "codecs.open",
        "os.fdopen",
        "requests.Session",
        "requests.session",
        "requests.sessions.Session",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
        "urllib.request.urlopen",
        "socket.socket",
        "socket.create_connection",
        "socket.create_server",
        "socket.socketpair",
        "subprocess.Popen",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "ftplib.FTP",
        "ftplib.FTP_TLS",
        # the clients Restate services use (the rule specification, REA108's default list)
        "sqlite3.connect",
        "psycopg.connect",
        "psycopg.Connection.connect",
        "psycopg.AsyncConnection.connect",
        "psycopg2.connect",
        "asyncpg.connect",
        "asyncpg.create_pool",
        "sqlalchemy.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
        "redis.Redis",
        "redis.StrictRedis",
        "redis.from_url",
        "redis.Redis.from_url",
        "redis.asyncio.Redis",
        "redis.asyncio.StrictRedis",
        "redis.asyncio.from_url",
        "redis.asyncio.Redis.from_url",
        "pymongo.MongoClient",
        "motor.motor_asyncio.AsyncIOMotorClient",
        "boto3.client",
        "boto3.resource",
        "boto3.Session",
        "boto3.session.Session",
        "openai.OpenAI",
        "openai.AsyncOpenAI",
        "openai.AzureOpenAI",
        "openai.AsyncAzureOpenAI",
        "anthropic.Anthropic",
        "anthropic.AsyncAnthropic",
        "google.genai.Client",
    }
)
CLIENT_TYPES = frozenset(
    {"sqlalchemy.orm.Session", "sqlalchemy.ext.asyncio.AsyncSession"}
)
"""Made from a client (`Session(engine)`): no I/O to create, but their methods are I/O."""
SESSION_MAKERS = frozenset(
    {"sqlalchemy.orm.sessionmaker", "sqlalchemy.ext.asyncio.async_sessionmaker"}
)
"""`SessionLocal = sessionmaker(engine)`: calling what they return makes a session."""
DERIVING_METHODS = frozenset(
    {"connect", "cursor", "begin", "acquire", "session", "pipeline", "get_database", "get_collection",
     "get_default_database", "client", "resource", "Table", "Bucket", "with_options", "with_raw_response"}
)
"""Methods of a client that hand out another client: a connection, cursor, session or
sub-client (`engine.connect()`, `conn.cursor()`); what other methods return is data."""
DATA_ATTRIBUTES = frozenset(
    {"headers", "cookies", "base_url", "timeout", "auth", "params", "event_hooks", "name", "mode", "closed",
     "encoding", "errors", "newlines", "family", "type", "proto", "pid", "returncode", "args", "url", "dialect",
     "api_key", "organization", "max_retries", "is_closed", "info", "__class__", "__dict__"}
)
"""Attributes of a client or file that are plain data (`client.headers.update(...)` is no I/O);
any other attribute of a client is a sub-client (`client.chat`, `mongo.shop.orders`)."""
IO_CALLS = IO_FACTORIES | frozenset(
    {
        "os.open",
        "os.system",
        "os.popen",
        "os.remove",
        "os.unlink",
        "os.makedirs",
        "os.listdir",
        "os.scandir",
        "shutil.copy",
        "shutil.copyfile",
        "shutil.move",
        "shutil.rmtree",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "asyncio.open_connection",
        "urllib.request.urlretrieve",
        "httpx.stream",
        "aiohttp.request",
        "litellm.completion",
        "litellm.acompletion",
        "litellm.embedding",
        "litellm.aembedding",
        "openai.chat.completions.create",
        "openai.completions.create",
        "openai.embeddings.create",
        "openai.responses.create",
        *(f"requests.{v}" for v in _VERBS),
        *(f"httpx.{v}" for v in _VERBS),
    }
)
# A Path is no I/O until one of these is called on it.
PATH_FACTORIES = frozenset(
    {"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.Path.home", "pathlib.Path.cwd"}
)
PATH_IO_METHODS = frozenset(
    {
        "read_text",
        "read_bytes",
        "write_text",
        "write_bytes",
        "open",
        "touch",
        "unlink",
        "mkdir",
        "rmdir",
        "rename",
        "replace",
        "iterdir",
        "glob",
        "rglob",
        "exists",
        "is_file",
        "is_dir",
        "stat",
    }
)
PATH_PRESERVING = frozenset(
    {"joinpath", "with_name", "with_suffix", "with_stem", "resolve", "absolute", "expanduser"}
)
"""Path methods that return a Path (and do no I/O by themselves)."""

# REA109: builtins that copy what they are given
COPIERS = frozenset({"dict", "list", "sorted", "set", "tuple"})

# REA112: names that say milliseconds or nanoseconds
UNIT_SUFFIXES = ("_ms", "_millis", "_msec", "_ns")
