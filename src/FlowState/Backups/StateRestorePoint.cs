using System.Globalization;

namespace FlowState;

/// <summary>
/// Which state a restore brings back: the latest backup, a backup by id, or the state at a store version or a time —
/// the newest backup taken at or before it (a backup holds the state at its version; between two backups, the earlier one).
/// </summary>
public sealed class StateRestorePoint
{
    private StateRestorePoint(long? id, long? version, DateTimeOffset? time)
    {
        Id = id;
        Version = version;
        Time = time;
    }

    /// <summary>The newest backup in the catalog.</summary>
    public static StateRestorePoint Latest { get; } = new(null, null, null);

    /// <summary>The backup numbered <see cref="StateBackupRecord.Id"/>; null unless chosen by id.</summary>
    public long? Id { get; }

    /// <summary>The store version asked for; null unless chosen by version.</summary>
    public long? Version { get; }

    /// <summary>The time asked for; null unless chosen by time.</summary>
    public DateTimeOffset? Time { get; }

    /// <summary>The backup numbered <paramref name="id"/>.</summary>
    public static StateRestorePoint Backup(long id) => new(id, null, null);

    /// <summary>The state at store version <paramref name="version"/>: the backup with the highest version at or below it.</summary>
    public static StateRestorePoint AtVersion(long version) => new(null, version, null);

    /// <summary>The state at <paramref name="time"/>: the newest backup taken at or before it.</summary>
    public static StateRestorePoint AtTime(DateTimeOffset time) => new(null, null, time);

    /// <inheritdoc/>
    public override string ToString() =>
        Id is { } id ? string.Create(CultureInfo.InvariantCulture, $"backup {id}")
        : Version is { } version ? string.Create(CultureInfo.InvariantCulture, $"version {version}")
        : Time is { } time ? string.Create(CultureInfo.InvariantCulture, $"{time.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} UTC")
        : "the latest backup";
}
