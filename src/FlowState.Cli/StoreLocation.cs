using FlowState.Postgres;
using FlowState.Redis;
using FlowState.RocksDb;
using FlowState.Sqlite;

namespace FlowState.Cli;

/// <summary>
/// Where a command's store lives: <c>sqlite:path</c>, <c>rocksdb:path</c>, <c>postgres:table:connection string</c>, or
/// a bare path (an existing directory is RocksDB, anything else a SQLite file). The default is the SQLite file
/// <c>./flowstate.db</c>. For PostgreSQL, <see cref="Path"/> is the table and <see cref="Connection"/> the connection string.
/// Shared stores (<see cref="SharedStateStore"/>, state several processes use at once) are <c>redis:prefix:configuration</c>
/// and <c>postgres-shared:table:connection string</c>.
/// </summary>
internal sealed record StoreLocation(string Kind, string Path, string? Connection = null)
{
    public const string Default = "flowstate.db";

    // A PostgreSQL table that is not there yet is created empty when opened; there is no file to look for.
    public bool Exists => Kind switch
    {
        "rocksdb" => Directory.Exists(Path),
        "postgres" or "postgres-shared" or "redis" => true,
        _ => File.Exists(Path),
    };

    /// <exception cref="CliUsageException">The text names an unknown kind or no path.</exception>
    public static StoreLocation Parse(string? text)
    {
        text = string.IsNullOrWhiteSpace(text) ? Default : text.Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 1)
        {
            var kind = text[..colon].ToLowerInvariant();
            var path = text[(colon + 1)..];
            if (kind is not ("sqlite" or "rocksdb" or "postgres" or "postgres-shared" or "redis"))
            {
                throw new CliUsageException($"unknown store kind '{kind}' in '{text}': use sqlite:<file>, rocksdb:<directory>, postgres:<table>:<connection string>, postgres-shared:<table>:<connection string> or redis:<key prefix>:<configuration>");
            }

            if (kind is "postgres" or "postgres-shared" or "redis")
            {
                var parts = path.Split(':', 2);
                return parts is [{ Length: > 0 } name, { Length: > 0 } connection]
                    ? new StoreLocation(kind, name, connection)
                    : throw new CliUsageException(kind == "redis"
                        ? "the store 'redis:…' must be redis:<key prefix>:<configuration>, e.g. redis:orders:127.0.0.1:6379"
                        : $"the store '{kind}:…' must be {kind}:<table>:<connection string>, e.g. {kind}:flowstate_entries:Host=localhost;Username=app");
            }

            return path.Length == 0 ? throw new CliUsageException($"the store '{text}' names no path") : new StoreLocation(kind, System.IO.Path.GetFullPath(path));
        }

        return new StoreLocation(Directory.Exists(text) ? "rocksdb" : "sqlite", System.IO.Path.GetFullPath(text));
    }

    /// <summary>True for a store several processes share (<c>redis:</c>, <c>postgres-shared:</c>).</summary>
    public bool IsShared => Kind is "redis" or "postgres-shared";

    /// <summary>Opens the store; <paramref name="mustExist"/> refuses to create an empty one (for commands that only read or edit).</summary>
    /// <exception cref="CliException">The store does not exist and must, or is a shared store.</exception>
    public async Task<StateStore> OpenAsync(bool mustExist, CancellationToken cancellationToken, Action<StateStoreOptions>? configure = null)
    {
        if (IsShared)
        {
            throw new CliException($"{this} is a shared store: only the state commands (list, get, set, delete, watch) work on it; flows, runs and the other commands need a store of their own (sqlite:, rocksdb: or postgres:)");
        }

        if (mustExist && !Exists)
        {
            throw new CliException($"there is no {Kind} store at {Path}; pass --store, or run a flow first to create one");
        }

        var options = new StateStoreOptions
        {
            Backend = Kind switch
            {
                "rocksdb" => new RocksDbStateBackend(Path),
                "postgres" => new PostgresStateBackend(Connection!, Path),
                _ => new SqliteStateBackend(Path),
            },
            Durability = Durability.Process,
        };
        configure?.Invoke(options);
        return await StateStore.OpenAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens the shared store this names.</summary>
    /// <exception cref="CliException">This is not a shared store.</exception>
    public async Task<SharedStateStore> OpenSharedAsync(CancellationToken cancellationToken)
    {
        ISharedStateBackend backend = Kind switch
        {
            "redis" => new RedisSharedStateBackend(new RedisSharedStateBackendOptions { Configuration = Connection!, KeyPrefix = Path }),
            "postgres-shared" => new PostgresSharedStateBackend(Connection!, Path),
            _ => throw new CliException($"{this} is not a shared store; watching needs one (redis:<key prefix>:<configuration> or postgres-shared:<table>:<connection string>): a store of one process sees only that process's changes"),
        };
        return await SharedStateStore.OpenAsync(new SharedStateStoreOptions { Backend = backend }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens the store for the state commands, shared or not.</summary>
    public async Task<OpenedState> OpenStateAsync(bool mustExist, CancellationToken cancellationToken) =>
        IsShared
            ? new OpenedState(await OpenSharedAsync(cancellationToken).ConfigureAwait(false))
            : new OpenedState(await OpenAsync(mustExist, cancellationToken).ConfigureAwait(false));

    // The connection string stays out: it may hold a password.
    public override string ToString() => $"{Kind}:{Path}";
}
