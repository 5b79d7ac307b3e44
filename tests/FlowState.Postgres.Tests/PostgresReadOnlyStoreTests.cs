using System.Globalization;
using System.Security.Cryptography;
using FlowState.Conformance;
using Npgsql;
using Xunit;

namespace FlowState.Postgres.Tests;

/// <summary>A PostgreSQL table opened read-only while the store that writes it holds the table's lock.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresReadOnlyStoreTests(PostgresServer server) : ReadOnlyStoreConformanceTests
{
    private readonly string _prefix = Guid.NewGuid().ToString("N");

    protected override IStateBackend CreateBackend(string path, bool forReading) =>
        new PostgresStateBackend(new PostgresStateBackendOptions { ConnectionString = server.ConnectionString, Table = Table(path), ReadOnly = forReading });

    protected override async Task<string> FingerprintAsync(string path)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        using var command = new NpgsqlCommand($"SELECT scope, key, value, version, expires_at, ttl, sliding FROM {Table(path)} ORDER BY scope, key", connection);
        await using var reader = await command.ExecuteReaderAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(string.Create(
                CultureInfo.InvariantCulture,
                $"{reader.GetString(0)}|{reader.GetString(1)}|{Convert.ToHexString((byte[])reader[2])}|{reader.GetInt64(3)}|{reader.GetInt64(4)}|{reader.GetInt64(5)}|{reader.GetBoolean(6)}\n")));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{rows} rows {Convert.ToHexString(hash.GetHashAndReset())}");
    }

    protected override async Task<bool> StorageExistsAsync(string path)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        using var command = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection);
        command.Parameters.AddWithValue(Table(path));
        return await command.ExecuteScalarAsync() is true;
    }

    private string Table(string path) => PostgresTables.For(_prefix + Path.GetFileName(path));
}
