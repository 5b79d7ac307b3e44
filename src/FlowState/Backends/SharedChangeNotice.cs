using System.Globalization;
using System.Text;

namespace FlowState;

/// <summary>One committed change as a shared backend's change feed reports it.</summary>
/// <param name="ScopeKey">The scope's storage key.</param>
/// <param name="Key">The key, relative to the scope.</param>
/// <param name="Deleted">True for a delete.</param>
/// <param name="Version">The commit's version.</param>
/// <param name="Value">The new value, or null for a delete or when the feed could not carry it (read it then).</param>
public sealed record SharedChangeNotice(string ScopeKey, string Key, bool Deleted, long Version, byte[]? Value)
{
    /// <summary>
    /// Reads the text form the shipped backends publish (Redis from its commit script, PostgreSQL through
    /// <c>pg_notify</c>): five lines — version, kind (<c>s</c> set with its value, <c>S</c> set whose value did not
    /// fit, <c>d</c> delete), scope storage key, key, value (UTF-8 JSON, may itself hold line breaks). Scope keys and
    /// keys never hold a line break. Null when <paramref name="payload"/> is not of that form. (Redis, when it keeps a
    /// change stream, publishes the change's number on a line of its own before these, <c>#n</c>; its feed takes it off.)
    /// </summary>
    public static SharedChangeNotice? Parse(string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var parts = payload.Split('\n', 5);
        return parts.Length == 5 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? new SharedChangeNotice(parts[2], parts[3], parts[1] == "d", version, parts[1] == "s" ? Encoding.UTF8.GetBytes(parts[4]) : null)
            : null;
    }
}
