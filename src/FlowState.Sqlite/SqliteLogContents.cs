namespace FlowState.Sqlite;

/// <summary>The readable records of both log files (read before the database, so that a reader beside a live writer sees one moment of both).</summary>
internal sealed class SqliteLogContents
{
    private readonly string _databasePath;
    private readonly SortedDictionary<long, SqliteLogRecord> _valid;
    private readonly List<(string Path, long Offset, long? Sequence)> _damaged;

    internal SqliteLogContents(string databasePath, SortedDictionary<long, SqliteLogRecord> valid, List<(string, long, long?)> damaged)
    {
        _databasePath = databasePath;
        _valid = valid;
        _damaged = damaged;
    }

    /// <summary>
    /// The records after <paramref name="folded"/>, in order, up to the first one missing or damaged (a tail a crash
    /// left, dropped). Records at or before <paramref name="folded"/> are skipped.
    /// </summary>
    /// <param name="folded">The last sequence number the database holds.</param>
    /// <param name="strict">
    /// Whether a damaged record that later records show was on disk is corruption (the writer, at open). A reader
    /// beside a live writer passes false: a file being emptied or appended while read looks damaged for a moment.
    /// </param>
    /// <exception cref="StateCorruptedException">A record that was on disk before a later one does not read back (strict only).</exception>
    public SqliteLogReplay After(long folded, bool strict)
    {
        var highest = _valid.Count == 0 ? folded : Math.Max(folded, _valid.Keys.Max());
        var records = new List<SqliteLogRecord>();
        var next = folded + 1;
        while (_valid.TryGetValue(next, out var record))
        {
            records.Add(record);
            next++;
        }

        if (strict && _valid.Any(pair => pair.Key > next && pair.Value.PriorOnDisk))
        {
            var where = _damaged.FirstOrDefault(d => d.Sequence == next) is { Path: not null } known
                ? $"record {next} in '{known.Path}' at byte {known.Offset} does not match its checksum"
                : $"record {next} is missing from '{SqliteWriteAheadLog.FilePath(_databasePath, 0)}' and '{SqliteWriteAheadLog.FilePath(_databasePath, 1)}'";
            throw new StateCorruptedException(
                $"SQLite file '{_databasePath}' is damaged: its write-ahead log's {where}, though later records show it was on disk. " +
                "Restore the file from a backup, or move the log files away to open the database without the changes they hold.")
            { Location = _databasePath };
        }

        return new SqliteLogReplay(records, folded + records.Count, highest, _valid.Keys.Count(sequence => sequence > next));
    }
}
