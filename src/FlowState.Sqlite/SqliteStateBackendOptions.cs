using Microsoft.Extensions.Logging;

namespace FlowState.Sqlite;

/// <summary>Options of <see cref="SqliteStateBackend"/>.</summary>
public sealed class SqliteStateBackendOptions
{
    /// <summary>The database file; created when missing. Default: <c>flowstate.db</c> in the working directory.</summary>
    public string Path { get; set; } = "flowstate.db";

    /// <summary>How long a write waits for another connection's lock on the file before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether opening runs SQLite's <c>PRAGMA quick_check</c> over the whole file (default true). It reads every page
    /// once, as loading the store does anyway, and turns structural damage into <see cref="StateCorruptedException"/>.
    /// </summary>
    public bool VerifyOnOpen { get; set; } = true;

    /// <summary>
    /// Commits of more than four changes are appended to a log table, which is folded into the entries table once it holds this many rows (default
    /// 4,096) or 16 MiB of values, when the store opens or closes, and before a scan. Appending keeps a commit's dirty
    /// pages few whatever keys it writes; folding then rewrites each entry page once for many writes.
    /// </summary>
    public int FoldThreshold { get; set; } = 4096;

    /// <summary>
    /// Opens the file for reading only (default false): the store loads what the file holds and refuses every write
    /// (<see cref="StateRejectedException"/>); nothing is written to the file, no lock is taken, so it can look at a
    /// store another process has open. The file must exist and be of this FlowState's schema.
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>The clock of the backup's completion record. Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the backend logs opening (with schema upgrades), folding its log, and closing; null: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    // A copy for one service provider: the caller's options stay as they were (and are not tied to that provider's loggers).
    internal SqliteStateBackendOptions WithLoggerFactory(ILoggerFactory? loggerFactory)
    {
        var copy = (SqliteStateBackendOptions)MemberwiseClone();
        copy.LoggerFactory ??= loggerFactory;
        return copy;
    }
}
