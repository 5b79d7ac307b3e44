using System.Globalization;
using FlowState.Postgres;
using Npgsql;

namespace FlowState.Cli.Commands;

/// <summary>
/// A text that changes whenever a PostgreSQL store's table may have changed, for <c>flowstate serve</c> over a table
/// another process writes: the row count and highest version (every commit adds a higher version or removes rows),
/// read again only when the server's write-ahead log moved since the last look, so an idle table costs one small
/// query per poll instead of a scan of the table.
/// </summary>
internal sealed class PostgresChangeStamp(string connectionString, string table)
{
    private readonly Lock _last = new();
    private string? _lastWalPosition;
    private string? _lastStamp;
    private volatile bool _walPositionUnavailable;

    public async ValueTask<string> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var connection = new NpgsqlConnection(connectionString);
            await using (connection.ConfigureAwait(false))
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                string? walPosition = null;
                if (!_walPositionUnavailable)
                {
                    try
                    {
                        using var wal = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", connection);
                        walPosition = (string?)await wal.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (PostgresException)
                    {
                        // A standby (recovery) has no current position: scan each time.
                        _walPositionUnavailable = true;
                    }
                }

                lock (_last)
                {
                    if (walPosition is not null && walPosition == _lastWalPosition && _lastStamp is not null)
                    {
                        return _lastStamp;
                    }
                }

                // Read after the log position: a commit between the two is seen here, or moves the position again.
                using var count = new NpgsqlCommand($"SELECT count(*), coalesce(max(version), 0) FROM {PostgresTableName.Quote(table)}", connection);
                string stamp;
                var reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    stamp = string.Create(CultureInfo.InvariantCulture, $"{reader.GetInt64(0)}:{reader.GetInt64(1)}");
                }

                // Concurrent looks may store an older pair last: the next look then sees the position moved and reads again.
                lock (_last)
                {
                    (_lastWalPosition, _lastStamp) = (walPosition, stamp);
                }

                return stamp;
            }
        }
        catch (NpgsqlException ex)
        {
            throw new CliException($"could not read postgres:{table} to see whether it changed: {ex.Message}");
        }
    }
}
