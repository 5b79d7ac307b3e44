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
    /// It runs on a read-only connection of its own while the store loads its rows; the opening ends only once it has
    /// passed, and nothing is written to the file or cut from its log files before that.
    /// </summary>
    public bool VerifyOnOpen { get; set; } = true;

    /// <summary>
    /// Commits are appended to the write-ahead log files beside the database (<c>{Path}.flowstate-log-0</c> and
    /// <c>-1</c>); once the active file holds this many changes (default 4,096) or 16 MiB of values, it is sealed and
    /// folded into the entries table in the background while the other file takes the commits. Closing and backups
    /// fold everything. A larger threshold folds less often (each entry page rewritten once for more writes) and keeps
    /// more changes in memory until their fold.
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
