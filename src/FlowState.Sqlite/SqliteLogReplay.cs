namespace FlowState.Sqlite;

/// <summary>The records of the log after the database's last folded one (<see cref="SqliteLogContents.After"/>).</summary>
/// <param name="Records">The records in order, each one commit's changes.</param>
/// <param name="Through">The sequence number of the last record in <paramref name="Records"/> (the folded one when none).</param>
/// <param name="Highest">The highest sequence number the files or the database hold: the next record is numbered after it.</param>
/// <param name="Dropped">Readable records after a missing or damaged one, dropped with it (a crash's tail).</param>
internal sealed record SqliteLogReplay(IReadOnlyList<SqliteLogRecord> Records, long Through, long Highest, int Dropped);
