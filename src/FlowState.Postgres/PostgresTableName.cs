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

    /// <summary>The longest table name (without schema) a store may use: its sequence and function add a suffix of
    /// up to 8 characters within PostgreSQL's 63-byte identifiers (longer ones would be cut short, and could meet).</summary>
    public const int MaxStoreTableLength = 55;

    /// <summary>
    /// Checks a store's table name beyond <see cref="Quote"/>: short enough for the names derived from it, and not in a
    /// system schema or of the system's <c>pg_</c> prefix.
    /// </summary>
    /// <exception cref="ArgumentException">Which rule the name breaks, and what to use instead.</exception>
    public static void CheckStoreTable(string table)
    {
        _ = Quote(table);
        var parts = table.Split('.');
        var name = parts[^1];
        if (name.Length > MaxStoreTableLength)
        {
            throw new ArgumentException($"The table name '{name}' is {name.Length} characters long; a FlowState store's table name may have at most {MaxStoreTableLength} (the store's sequence and function are named after it within PostgreSQL's 63-character limit).", nameof(table));
        }

        if (parts.Length == 2 && (parts[0].StartsWith("pg_", StringComparison.OrdinalIgnoreCase) || parts[0].Equals("information_schema", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"The table '{table}' is in the system schema '{parts[0]}'; use a schema of your own (or none).", nameof(table));
        }

        if (name.StartsWith("pg_", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The table name '{name}' starts with 'pg_', which PostgreSQL keeps for its system catalogs; choose another name.", nameof(table));
        }
    }

    /// <summary>
    /// The name of an object derived from a store's table (<paramref name="table"/> plus <paramref name="suffix"/>).
    /// The separator '$' cannot appear in a table name FlowState accepts, so a derived name never equals another
    /// store's table (table <c>t</c>'s sequence is <c>t$version</c>, which no store named <c>t_version</c> can meet).
    /// </summary>
    public static string Derived(string table, string suffix) => Quote(table).TrimEnd('"') + "$" + suffix + "\"";

    /// <summary>
    /// The LISTEN/NOTIFY channel of a store's table: a hash of the full name, so that lookalike names (<c>s.x</c> and
    /// <c>s_x</c>) never share a channel, within PostgreSQL's 63-byte channel names.
    /// </summary>
    public static string Channel(string table) =>
        "flowstate_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(table)).AsSpan(0, 12));

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")]
    private static partial Regex Pattern();
}
