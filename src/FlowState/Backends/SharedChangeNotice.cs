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
    /// <summary>The version the key had before the change (0: it did not exist); null when the backend does not say.</summary>
    public long? PreviousVersion { get; init; }

    /// <summary>The value the key had before the change (for a delete: the value removed); null when absent or not carried.</summary>
    public byte[]? PreviousValue { get; init; }

    /// <summary>
    /// Reads the text form the shipped backends publish (Redis from its commit script, PostgreSQL through
    /// <c>pg_notify</c>): five lines — version, kind (<c>s</c> set with its value, <c>S</c> set whose value did not
    /// fit, <c>d</c> delete), scope storage key, key, value (UTF-8 JSON, may itself hold line breaks). Scope keys and
    /// keys never hold a line break. A backend that carries previous values follows the kind with the previous version
    /// and the previous value's length in UTF-8 bytes (<c>s 41 7</c>; -1: not carried), and the last line starts with
    /// those bytes before the new value. Null when <paramref name="payload"/> is not of that form. (Redis, when it keeps
    /// a change stream, publishes the change's number on a line of its own before these, <c>#n</c>; its feed takes it off.)
    /// </summary>
    public static SharedChangeNotice? Parse(string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var parts = payload.Split('\n', 5);
        if (parts.Length != 5 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return null;
        }

        var kind = parts[1].Split(' ');
        if (kind.Length == 1)
        {
            return new SharedChangeNotice(parts[2], parts[3], kind[0] == "d", version, kind[0] == "s" ? Encoding.UTF8.GetBytes(parts[4]) : null);
        }

        if (kind.Length != 3
            || !long.TryParse(kind[1], NumberStyles.None, CultureInfo.InvariantCulture, out var previousVersion)
            || !int.TryParse(kind[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var previousLength))
        {
            return null;
        }

        var last = Encoding.UTF8.GetBytes(parts[4]);
        if (previousLength > last.Length)
        {
            return null;
        }

        var previous = previousLength < 0 ? null : last[..previousLength];
        var value = last[Math.Max(0, previousLength)..];
        return new SharedChangeNotice(parts[2], parts[3], kind[0] == "d", version, kind[0] == "s" ? value : null)
        {
            PreviousVersion = previousVersion,
            PreviousValue = previous is { Length: > 0 } ? previous : null,
        };
    }
}
