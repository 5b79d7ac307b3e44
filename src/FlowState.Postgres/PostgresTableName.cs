using System.Text.RegularExpressions;

namespace FlowState.Postgres;

/// <summary>Checks and quotes the table names the PostgreSQL backends put into SQL.</summary>
internal static partial class PostgresTableName
{
    /// <summary>The quoted form of <paramref name="table"/> (<c>name</c> or <c>schema.name</c>).</summary>
    /// <exception cref="ArgumentException">The name is not a plain identifier.</exception>
    public static string Quote(string table) =>
        !string.IsNullOrEmpty(table) && Pattern().IsMatch(table)
            ? string.Join('.', table.Split('.').Select(part => $"\"{part}\""))
            : throw new ArgumentException($"The table '{table}' must be a plain identifier, optionally with its schema (schema.table).", nameof(table));

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")]
    private static partial Regex Pattern();
}
