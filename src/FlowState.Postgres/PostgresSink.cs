using System.Globalization;
using System.Text.RegularExpressions;
using FlowState.Streaming;
using Npgsql;
using NpgsqlTypes;

namespace FlowState.Postgres;

/// <summary>
/// Exactly-once output into a PostgreSQL table, with real two-phase commit: each epoch's rows are copied into the table
/// inside one transaction, which the checkpoint barrier turns into a prepared transaction
/// (<c>PREPARE TRANSACTION 'flowstate:{sink}:{scope}:{epoch}'</c>) and the completed checkpoint commits
/// (<c>COMMIT PREPARED</c>). Recovery commits the restored checkpoint's prepared transactions and rolls back every other
/// one of this sink. <c>{scope}</c> is 16 hex digits of a hash of the pipeline's name, the sink's name and the table, so
/// pipelines whose sinks share a name never recover (or roll back) each other's transactions. The server needs
/// <c>max_prepared_transactions</c> above 0.
/// </summary>
/// <remarks>
/// Table (created when missing): <c>epoch bigint, seq integer, message_key text, message_id text, value jsonb</c>, primary
/// key (epoch, seq). Readers see whole epochs only; order rows by <c>epoch, seq</c> for the sink's order.
/// </remarks>
public sealed partial class PostgresSink : TwoPhaseCommitSink
{
    private const string UndefinedObject = "42704";
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;
    private NpgsqlConnection? _open;
    private long _openEpoch;
    private int _rows;
    private bool _tableReady;
    private string? _prefix;

    /// <summary>Writes into <paramref name="table"/> (<c>name</c> or <c>schema.name</c>) of the database <paramref name="connectionString"/> names.</summary>
    /// <exception cref="ArgumentException">The name or table is not a plain identifier.</exception>
    public PostgresSink(string name, string connectionString, string table)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        if (string.IsNullOrEmpty(name) || !SafeName().IsMatch(name) || name.Length > 150)
        {
            throw new ArgumentException($"The sink name '{name}' must be 1 to 150 letters, digits, '_', '-' or '.' (it names its prepared transactions).", nameof(name));
        }

        if (string.IsNullOrEmpty(table) || !TableName().IsMatch(table))
        {
            throw new ArgumentException($"The table '{table}' must be a plain identifier, optionally with its schema (schema.table).", nameof(table));
        }

        Name = name;
        _table = string.Join('.', table.Split('.').Select(part => $"\"{part}\""));
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <inheritdoc />
    public override string Name { get; }

    private string Prefix => _prefix ??= $"flowstate:{Name}:{TransactionScope(PipelineName ?? throw new InvalidOperationException($"Sink '{Name}' is not part of a pipeline; build a pipeline with it (StreamPipelineBuilder.AddSink) before writing."), Name, _table)}:";

    // Length-prefixed parts, so ("a:b", "c") and ("a", "b:c") differ; 64 bits keeps ids within PostgreSQL's 200 bytes.
    private static string TransactionScope(string pipeline, string sink, string table)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{pipeline.Length}:{pipeline}{sink.Length}:{sink}{table.Length}:{table}");
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
    }

    /// <inheritdoc />
    protected override async ValueTask BeginTransactionAsync(long epoch, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Nothing of an earlier attempt at this epoch can be there: it never prepared (its connection's end rolled it
            // back) or recovery rolled its prepared transaction back; epochs only grow past every committed one.
            await ExecuteAsync(connection, "BEGIN", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _open = connection;
        _openEpoch = epoch;
        _rows = 0;
    }

    /// <inheritdoc />
    protected override async ValueTask WriteToTransactionAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var connection = _open ?? throw new InvalidOperationException("No transaction is open.");
        var import = await connection.BeginBinaryImportAsync(
            $"COPY {_table} (epoch, seq, message_key, message_id, value) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (import.ConfigureAwait(false))
        {
            foreach (var message in messages)
            {
                await import.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(_openEpoch, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(_rows++, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(import, message.Key, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(import, message.Id, cancellationToken).ConfigureAwait(false);
                await import.WriteAsync(message.Value.GetRawText(), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            }

            await import.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<string> PreCommitAsync(CancellationToken cancellationToken)
    {
        var connection = _open ?? throw new InvalidOperationException("No transaction is open.");
        var handle = Prefix + _openEpoch.ToString(CultureInfo.InvariantCulture);
        try
        {
            await ExecuteAsync(connection, $"PREPARE TRANSACTION '{handle}'", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == "55000")
        {
            throw new StreamException(
                $"Sink '{Name}': PostgreSQL refused PREPARE TRANSACTION ({ex.MessageText}); set max_prepared_transactions above 0 in postgresql.conf and restart the server.", ex);
        }
        finally
        {
            _open = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        return handle;
    }

    /// <inheritdoc />
    protected override async ValueTask CommitAsync(string handle, CancellationToken cancellationToken)
    {
        var epoch = EpochOf(handle);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await ExecuteAsync(connection, $"COMMIT PREPARED '{handle}'", cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == UndefinedObject)
            {
                // Not prepared (any more): committed before, unless its rows are not there.
                using var check = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {_table} WHERE epoch = $1)", connection);
                check.Parameters.AddWithValue(epoch);
                if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                {
                    throw new StreamException(
                        $"Sink '{Name}': the prepared transaction '{handle}' is neither prepared nor committed in {_table}; it was rolled back outside FlowState, so its messages are lost.", ex);
                }
            }
        }
    }

    /// <inheritdoc />
    protected override async ValueTask AbortAsync(CancellationToken cancellationToken)
    {
        if (_open is { } connection)
        {
            _open = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override bool CanRemoveCommittedOutput => true;

    /// <inheritdoc />
    protected override async ValueTask<int> RemoveCommittedAfterAsync(long epoch, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var delete = new NpgsqlCommand($"WITH gone AS (DELETE FROM {_table} WHERE epoch > $1 RETURNING epoch) SELECT COUNT(DISTINCT epoch) FROM gone", connection);
            delete.Parameters.AddWithValue(epoch);
            return Convert.ToInt32(await delete.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<long> RecoverAsync(IReadOnlyCollection<string> toCommit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(toCommit);
        _ = Prefix;
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        foreach (var handle in toCommit)
        {
            await CommitAsync(handle, cancellationToken).ConfigureAwait(false);
        }

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var pending = new List<string>();
            using (var list = new NpgsqlCommand("SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND starts_with(gid, $1)", connection))
            {
                list.Parameters.AddWithValue(Prefix);
                using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    pending.Add(reader.GetString(0));
                }
            }

            foreach (var gid in pending.Where(g => !toCommit.Contains(g)))
            {
                await ExecuteAsync(connection, $"ROLLBACK PREPARED '{gid}'", cancellationToken).ConfigureAwait(false);
            }

            using var highest = new NpgsqlCommand($"SELECT COALESCE(MAX(epoch), 0) FROM {_table}", connection);
            return (long)(await highest.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await AbortAsync(CancellationToken.None).ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (_tableReady)
        {
            return;
        }

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ExecuteAsync(
                connection,
                $"CREATE TABLE IF NOT EXISTS {_table} (epoch bigint NOT NULL, seq integer NOT NULL, message_key text, message_id text, value jsonb NOT NULL, PRIMARY KEY (epoch, seq))",
                cancellationToken).ConfigureAwait(false);
        }

        _tableReady = true;
    }

    // Handles of the unscoped form 'flowstate:{sink}:{epoch}' come from checkpoints taken before ids were scoped; the
    // checkpoint that names one is this pipeline's own, so it is still committed on recovery.
    private long EpochOf(string handle)
    {
        var legacyPrefix = $"flowstate:{Name}:";
        foreach (var prefix in (ReadOnlySpan<string>)[Prefix, legacyPrefix])
        {
            if (handle.StartsWith(prefix, StringComparison.Ordinal) && long.TryParse(handle.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            {
                return epoch;
            }
        }

        throw new StreamException($"Sink '{Name}': '{handle}' is not a transaction handle of this sink.");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter import, string? value, CancellationToken cancellationToken) =>
        value is null ? import.WriteNullAsync(cancellationToken) : import.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex SafeName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?$")]
    private static partial Regex TableName();
}
