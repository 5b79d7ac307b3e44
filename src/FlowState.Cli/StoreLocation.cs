using FlowState.Postgres;
using FlowState.RocksDb;
using FlowState.Sqlite;

namespace FlowState.Cli;

/// <summary>
/// Where a command's store lives: <c>sqlite:path</c>, <c>rocksdb:path</c>, <c>postgres:table:connection string</c>, or
/// a bare path (an existing directory is RocksDB, anything else a SQLite file). The default is the SQLite file
/// <c>./flowstate.db</c>. For PostgreSQL, <see cref="Path"/> is the table and <see cref="Connection"/> the connection string.
/// </summary>
internal sealed record StoreLocation(string Kind, string Path, string? Connection = null)
{
    public const string Default = "flowstate.db";

    // A PostgreSQL table that is not there yet is created empty when opened; there is no file to look for.
    public bool Exists => Kind switch
    {
        "rocksdb" => Directory.Exists(Path),
        "postgres" => true,
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
            if (kind is not ("sqlite" or "rocksdb" or "postgres"))
            {
                throw new CliUsageException($"unknown store kind '{kind}' in '{text}': use sqlite:<file>, rocksdb:<directory> or postgres:<table>:<connection string>");
            }

            if (kind == "postgres")
            {
                var parts = path.Split(':', 2);
                return parts is [{ Length: > 0 } table, { Length: > 0 } connection]
                    ? new StoreLocation(kind, table, connection)
                    : throw new CliUsageException($"the store '{kind}:…' must be postgres:<table>:<connection string>, e.g. postgres:flowstate_entries:Host=localhost;Username=app");
            }

            return path.Length == 0 ? throw new CliUsageException($"the store '{text}' names no path") : new StoreLocation(kind, System.IO.Path.GetFullPath(path));
        }

        return new StoreLocation(Directory.Exists(text) ? "rocksdb" : "sqlite", System.IO.Path.GetFullPath(text));
    }

    /// <summary>Opens the store; <paramref name="mustExist"/> refuses to create an empty one (for commands that only read or edit).</summary>
    /// <exception cref="CliException">The store does not exist and must.</exception>
    public async Task<StateStore> OpenAsync(bool mustExist, CancellationToken cancellationToken, Action<StateStoreOptions>? configure = null)
    {
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

    // The connection string stays out: it may hold a password.
    public override string ToString() => $"{Kind}:{Path}";
}
