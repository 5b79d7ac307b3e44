using System.Text.Json;

namespace FlowState.Lua;

/// <summary>What a script run returned, printed and committed.</summary>
public sealed class LuaScriptResult
{
    internal LuaScriptResult(IReadOnlyList<JsonElement> values, string output, long version, int attempts, long instructions, long peakMemoryBytes, TimeSpan elapsed)
    {
        Values = values;
        Output = output;
        Version = version;
        Attempts = attempts;
        Instructions = instructions;
        PeakMemoryBytes = peakMemoryBytes;
        Elapsed = elapsed;
    }

    /// <summary>The values the script returned, as JSON (a Lua <c>nil</c> is JSON <c>null</c>).</summary>
    public IReadOnlyList<JsonElement> Values { get; }

    /// <summary>What the script printed, one line per <c>print</c> call.</summary>
    public string Output { get; }

    /// <summary>The store version the script's writes committed at (the store's current version when it wrote nothing).</summary>
    public long Version { get; }

    /// <summary>How many times the script ran: more than 1 when a commit conflicted and it ran again on fresh state.</summary>
    public int Attempts { get; }

    /// <summary>Lua VM instructions the last run used, counted in steps of <see cref="LuaScriptOptions.CheckInterval"/>.</summary>
    public long Instructions { get; }

    /// <summary>Most memory the last run's Lua state held, in bytes.</summary>
    public long PeakMemoryBytes { get; }

    /// <summary>Wall-clock time of all attempts and commits.</summary>
    public TimeSpan Elapsed { get; }
}
